package dev.chorus.bench;

import io.netty.buffer.ByteBuf;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code fanout} and {@code bigroom} (fanout with one room): subscribers spread over rooms,
 * separate publisher connections pushing stamped payloads at a fixed total rate; a warm-up
 * phase, then a measured phase. Deliveries are counted by the phase stamped in the payload, so
 * expected = publishes × room size holds exactly, whatever the timing between processes.
 *
 * <p>With --slow-fraction, that share of subscribers (small receive buffer and MSS, see
 * {@link ClientTransport}) stops reading when the measured phase starts; they are reported
 * apart: how many the server closed, and for those it cut off while they were not reading, how
 * long after they stopped. The server's resident memory is sampled through the measured phase.
 */
final class FanoutScenario {
  private FanoutScenario() {}

  static BenchResult run(BenchOptions o, ShardSignals signals, BenchClock clock) throws Exception {
    boolean bigroom = o.scenario.equals("bigroom");
    Shard shard = o.shard();
    FanoutPlan plan = new FanoutPlan(
        o.integer(bigroom ? "members" : "subscribers"), bigroom ? 1 : o.integer("rooms"),
        o.rate("rate"), o.decimal("slow-fraction"), o.decimal("warmup-slow-fraction"), o.rate("publisher-rate"));
    String prefix = o.get("topic-prefix");
    String event = o.get("event");
    byte[] pad = new byte[PhoenixFrames.padFor(o.integer("payload"))];
    Arrays.fill(pad, (byte) 'x');

    // [0] warm-up, [1] measured.
    DeliveryStats[] healthy = {new DeliveryStats(), new DeliveryStats()};
    DeliveryStats[] slow = {new DeliveryStats(), new DeliveryStats()};
    AtomicLongArray[] publishes = {new AtomicLongArray(plan.rooms), new AtomicLongArray(plan.rooms)};
    LongAdder skipped = new LongAdder();
    LongAdder unwritable = new LongAdder();
    LongAdder errorReplies = new LongAdder();
    LongAdder unrecognised = new LongAdder();
    AtomicInteger phase = new AtomicInteger();
    JoinTracker tracker = new JoinTracker();
    BenchResult result = new BenchResult();

    PhoenixClient.Listener subscriberListener = new JoinTracker.Reporting(tracker) {
      @Override
      public void broadcast(PhoenixClient c, ByteBuf frame) {
        long stamp = PhoenixFrames.stampOf(frame);
        if (stamp == 0) {
          unrecognised.increment();
          return;
        }
        long now = clock.micros();
        int idx = stamp > 0 ? 1 : 0;
        (c.slow ? slow : healthy)[idx].record(now - Math.abs(stamp), now);
      }
    };
    PhoenixClient.Listener publisherListener = new JoinTracker.Reporting(tracker) {
      // Broadcasts of its own rooms are discarded: the default method does nothing.

      @Override
      public void errorReply(PhoenixClient c, String reply) {
        errorReplies.increment();
        if (!result.notes.containsKey("publisher_error_reply")) {
          synchronized (result) {
            result.notes.putIfAbsent("publisher_error_reply", reply);
          }
        }
      }
    };

    try (ClientTransport transport = new ClientTransport(o.uris(), o.sources(), o.threads(), o.durationMillis("heartbeat"))) {
      List<PhoenixClient> subscribers = new ArrayList<>();
      for (int g = 0; g < plan.subscribers; g++) {
        if (!shard.owns(g)) continue;
        subscribers.add(new PhoenixClient(g, plan.isSlow(g), List.of(prefix + plan.roomOf(g)),
            transport.heartbeatMillis(), subscriberListener));
      }
      // They stop reading when the warm-up starts; what they receive is not counted.
      PhoenixClient.Listener warmupSlowListener = new JoinTracker.Reporting(tracker);
      List<PhoenixClient> warmupSlow = new ArrayList<>();
      for (int w = 0; w < plan.warmupSlowCount; w++) {
        if (!shard.owns(w)) continue;
        warmupSlow.add(new PhoenixClient(plan.subscribers + w, true, List.of(prefix + plan.roomOf(w)),
            transport.heartbeatMillis(), warmupSlowListener));
      }
      List<Publisher> publishers = new ArrayList<>();
      for (int p = 0; p < plan.publishers; p++) {
        if (!shard.owns(p)) continue;
        List<Integer> rooms = plan.roomsOf(p);
        PhoenixClient client = new PhoenixClient(-1 - p, false, rooms.stream().map(r -> prefix + r).toList(),
            transport.heartbeatMillis(), publisherListener);
        publishers.add(new Publisher(client, rooms, event, plan.ratePerPublisher, pad, clock, phase, publishes, skipped, unwritable));
      }
      List<PhoenixClient> all = new ArrayList<>(subscribers);
      all.addAll(warmupSlow);
      publishers.forEach(p -> all.add(p.client));
      tracker.openAll(transport, all, o.rate("connect-rate") / shard.count(), 30_000);
      tracker.report(result, "connect.");
      if (tracker.joinedCount() == 0) throw new IllegalStateException("no connection could join: "
          + result.notes.getOrDefault("connect.first_failure", "?"));

      signals.readyAndAwaitGo();

      // Warm-up: publish, let JIT and pools settle; counted but not the measured figures.
      String serverPid = o.get("server-pid");
      long rssWarmup = ServerMemory.rssKib(serverPid);
      if (rssWarmup >= 0) result.gauge("server_rss_warmup_start_kib", rssWarmup);
      phase.set(Publisher.WARMUP);
      long warmupStart = System.nanoTime();
      warmupSlow.forEach(PhoenixClient::stopReading);
      publishers.forEach(Publisher::start);
      Thread.sleep(o.durationMillis("warmup"));
      if (!warmupSlow.isEmpty()) {
        result.count("warmup_slow_planned", warmupSlow.size());
        result.count("warmup_slow_ended_before_measured", warmupSlow.stream().filter(PhoenixClient::isInactive).count());
      }
      for (PhoenixClient c : subscribers) if (c.slow) c.stopReading();

      healthy[1].startTimeline(clock.micros());
      result.notes.put("measured.started_at", Instant.now().toString()); // to line up with server logs
      phase.set(Publisher.MEASURED);
      double cpuBefore = ServerMemory.cpuSeconds(serverPid);
      long rssBefore = ServerMemory.rssKib(serverPid);
      long measuredStart = System.nanoTime();
      long rssPeak = sampleRssUntil(serverPid, measuredStart + o.durationMillis("duration") * 1_000_000L);
      phase.set(Publisher.DONE);
      long measuredEnd = System.nanoTime();
      double cpuAfter = ServerMemory.cpuSeconds(serverPid);
      long rssAfter = ServerMemory.rssKib(serverPid);
      if (cpuBefore >= 0 && cpuAfter >= 0) result.gauge("server_cpu_seconds", cpuAfter - cpuBefore);
      if (rssBefore >= 0 && rssAfter >= 0) {
        result.gauge("server_rss_measured_start_kib", rssBefore);
        result.gauge("server_rss_measured_end_kib", rssAfter);
        result.gauge("server_rss_measured_peak_kib", Math.max(rssPeak, rssAfter));
      }
      result.gauge("warmup_seconds", (measuredStart - warmupStart) / 1e9);
      result.gauge("measured_seconds", (measuredEnd - measuredStart) / 1e9);

      // Drain: broadcasts still in flight belong to the measured phase.
      Thread.sleep(20);
      long expectedHealthy = expected(publishes[1], plan, false);
      long drainStart = System.nanoTime();
      long last = -1;
      long stableSince = System.nanoTime();
      while (System.nanoTime() - drainStart < 10_000_000_000L) {
        long got = healthy[1].received.sum();
        if (shard.count() == 1 && got >= expectedHealthy) break;
        if (got != last) {
          last = got;
          stableSince = System.nanoTime();
        } else if (System.nanoTime() - stableSince > 1_000_000_000L) {
          break;
        }
        Thread.sleep(20);
      }
      result.gauge("drain_seconds", (System.nanoTime() - drainStart) / 1e9);

      int slowClosedWhileStopped = 0;
      for (PhoenixClient c : subscribers) if (c.slow && c.closedByServer()) slowClosedWhileStopped++;
      for (PhoenixClient c : subscribers) {
        long after = c.slow ? c.endedAfterStopNanos() : -1;
        if (after >= 0) result.histogram("slow_ended_after_stop").recordValue(Math.min(BenchResult.MAX_TRACKABLE_MICROS, after / 1000));
      }
      // Slow clients read again: a server that gave up on them has sent close 4000 (or reset
      // the connection after its close timeout), which we now see.
      waitForSlowOutcome(subscribers);

      countSlowOutcomes(result, subscribers, slowClosedWhileStopped);
      int healthyClosed = 0;
      for (PhoenixClient c : subscribers) if (!c.slow && c.isJoined() && c.closedByServer()) healthyClosed++;
      result.count("healthy_closed_by_server", healthyClosed);

      result.count("subscribers_planned", subscribers.size());
      result.count("slow_planned", subscribers.stream().filter(c -> c.slow).count());
      result.count("publishers_planned", publishers.size());
      for (int i = 0; i < 2; i++) {
        String ph = i == 0 ? "warmup." : "measured.";
        result.count(ph + "publishes", sum(publishes[i]));
        result.count(ph + "expected_healthy", expected(publishes[i], plan, false));
        result.count(ph + "expected_slow", expected(publishes[i], plan, true));
        result.count(ph + "received_healthy", healthy[i].received.sum());
        result.count(ph + "received_slow", slow[i].received.sum());
        result.addHistogram(ph + "latency_healthy", healthy[i].latency.copy());
        result.addHistogram(ph + "latency_slow", slow[i].latency.copy());
      }
      // The tenths of a second of the measured phase (from its start, by receipt) whose worst healthy delivery took > 20 ms.
      result.notes.put("measured.healthy_over_20ms_at", healthy[1].badTenths(20));
      result.count("publish_skipped", skipped.sum());
      result.count("publish_skipped_unwritable", unwritable.sum());
      result.count("publish_error_replies", errorReplies.sum());
      result.count("frames_unrecognised", unrecognised.sum());
      result.gauge("rooms", plan.rooms);
      result.gauge("subscribers_total", plan.subscribers);
      result.gauge("slow_total", plan.slowCount);
      result.gauge("publishers_total", plan.publishers);
      result.gauge("rate_per_publisher", plan.ratePerPublisher);
      result.notes.put("transport", transport.kind());
      result.notes.put("clock", clock.isEpoch() ? "epoch-micros" : "nanoTime");

      ConnectScenario.closeAll(all);
    }
    return result;
  }

  /**
   * Sleeps until {@code endNanos}, reading the server's RSS every second meanwhile; returns the
   * highest reading (KiB), or -1 without a server pid.
   */
  private static long sampleRssUntil(String serverPid, long endNanos) throws InterruptedException {
    long peak = -1;
    while (true) {
      long left = endNanos - System.nanoTime();
      if (left <= 0) return peak;
      Thread.sleep(Math.min(1000, Math.max(1, left / 1_000_000)));
      peak = Math.max(peak, ServerMemory.rssKib(serverPid));
    }
  }

  private static void waitForSlowOutcome(List<PhoenixClient> subscribers) throws InterruptedException {
    List<PhoenixClient> slowOnes = subscribers.stream().filter(c -> c.slow).toList();
    if (slowOnes.isEmpty()) return;
    slowOnes.forEach(PhoenixClient::resumeReading);
    long start = System.nanoTime();
    long lastChange = start;
    long closed = -1;
    // The server's close timeout is 3 s: by then an abandoned slow consumer is gone.
    while (System.nanoTime() - start < 5_000_000_000L) {
      long now = slowOnes.stream().filter(PhoenixClient::isInactive).count();
      if (now == slowOnes.size()) return;
      if (now != closed) {
        closed = now;
        lastChange = System.nanoTime();
      } else if (System.nanoTime() - lastChange > 3_500_000_000L) {
        return;
      }
      Thread.sleep(20);
    }
  }

  private static void countSlowOutcomes(BenchResult r, List<PhoenixClient> subscribers, int closedWhileStopped) {
    int closed = 0, code4000 = 0, reset = 0;
    for (PhoenixClient c : subscribers) {
      if (!c.slow) continue;
      if (c.closedByServer()) closed++;
      if (c.closeCode() == 4000) code4000++;
      if (c.wasReset()) reset++;
    }
    r.count("slow_closed_by_server", closed);
    r.count("slow_close_4000", code4000);
    r.count("slow_reset", reset);
    r.count("slow_closed_while_not_reading", closedWhileStopped);
  }

  private static long sum(AtomicLongArray a) {
    long s = 0;
    for (int i = 0; i < a.length(); i++) s += a.get(i);
    return s;
  }

  /** Σ over rooms of publishes into the room × its (healthy or slow) members in the whole run. */
  private static long expected(AtomicLongArray publishes, FanoutPlan plan, boolean slow) {
    long s = 0;
    for (int r = 0; r < publishes.length(); r++) {
      s += publishes.get(r) * (slow ? plan.slowInRoom(r) : plan.healthyInRoom(r));
    }
    return s;
  }

}
