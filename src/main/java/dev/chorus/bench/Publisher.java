package dev.chorus.bench;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A publishing connection: on its own event loop, every 2 ms it sends the publishes due by now
 * (so the rate is exact over time without a timer per message), round-robin over its rooms.
 * Each publish is stamped with the send time and the phase, and counted per room and phase so
 * the expected deliveries are exact.
 */
final class Publisher {
  static final int WARMUP = 1;
  static final int MEASURED = 2;
  static final int DONE = 3;

  private static final long TICK_MICROS = 2_000;
  /** At most this many publishes catch up in one tick; a longer stall skips (counted), never bursts past the server's limits. */
  private static final int MAX_CATCH_UP = 10;

  final PhoenixClient client;
  private final int[] rooms;
  private final byte[][] prefixes;
  private final double ratePerSecond;
  private final byte[] pad;
  private final BenchClock clock;
  private final AtomicInteger phase;
  /** [0] warm-up, [1] measured: publishes per room. */
  private final AtomicLongArray[] publishes;
  private final LongAdder skipped;
  /** Of those, skipped because the socket was not writable (the server was not reading our pushes). */
  private final LongAdder unwritable;
  private long startNanos;
  private long issued;
  private int next;
  private io.netty.util.concurrent.ScheduledFuture<?> tick;

  Publisher(PhoenixClient client, List<Integer> rooms, String event, double ratePerSecond, byte[] pad,
      BenchClock clock, AtomicInteger phase, AtomicLongArray[] publishes, LongAdder skipped, LongAdder unwritable) {
    this.client = client;
    this.rooms = rooms.stream().mapToInt(Integer::intValue).toArray();
    this.prefixes = new byte[this.rooms.length][];
    for (int i = 0; i < this.rooms.length; i++) {
      // The join ref of topic i is i + 1 (see PhoenixClient); pushes must carry it.
      prefixes[i] = PhoenixFrames.publishPrefix(Integer.toString(i + 1), client.topics.get(i), event);
    }
    this.ratePerSecond = ratePerSecond;
    this.pad = pad;
    this.clock = clock;
    this.phase = phase;
    this.publishes = publishes;
    this.skipped = skipped;
    this.unwritable = unwritable;
  }

  void start() {
    Channel ch = client.channel();
    if (ch == null || !client.isJoined()) return;
    ch.eventLoop().execute(() -> {
      startNanos = System.nanoTime();
      tick = ch.eventLoop().scheduleAtFixedRate(this::tick, 0, TICK_MICROS, TimeUnit.MICROSECONDS);
    });
  }

  private void tick() {
    int p = phase.get();
    if (p == DONE) {
      tick.cancel(false);
      return;
    }
    Channel ch = client.channel();
    long due = (long) ((System.nanoTime() - startNanos) * ratePerSecond / 1e9);
    long n = due - issued;
    if (n > MAX_CATCH_UP) {
      skipped.add(n - MAX_CATCH_UP);
      issued += n - MAX_CATCH_UP;
      n = MAX_CATCH_UP;
    }
    if (n <= 0) return;
    boolean measured = p == MEASURED;
    AtomicLongArray counts = publishes[measured ? 1 : 0];
    for (long i = 0; i < n; i++) {
      issued++;
      if (!ch.isActive() || !ch.isWritable()) {
        skipped.increment();
        unwritable.increment();
        continue;
      }
      int k = next;
      next = (next + 1) % rooms.length;
      ch.write(new TextWebSocketFrame(PhoenixFrames.publish(ch.alloc(), prefixes[k], clock.micros(), measured, pad)));
      counts.incrementAndGet(rooms[k]);
    }
    ch.flush();
  }
}
