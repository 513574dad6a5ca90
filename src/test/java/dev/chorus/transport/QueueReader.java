package dev.chorus.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.metrics.Metrics;
import dev.chorus.protocol.BinaryCodec;
import dev.chorus.protocol.Frame;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.util.ByteString;

/**
 * Test helper: stands in for a connection's writer on a real {@link OutboundQueue}, for tests of
 * the actors that write to it (session, channel, local room) outside this package. It attaches a
 * wakeup, polls what the actors queued, splits each batch into its WebSocket text frames and
 * decodes them, and releases every polled buffer (the leak check fails a class otherwise).
 * {@link #close()} frees whatever is still queued.
 */
public final class QueueReader implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One queued WebSocket frame: its bytes as written (header included) and its decoded message
   * (a binary broadcast as a binary {@link Frame} without refs).
   */
  public record Out(byte[] wire, Frame frame) {
    public String topic() {
      return frame.topic();
    }

    public String event() {
      return frame.event();
    }

    public String joinRef() {
      return frame.joinRef();
    }

    public String ref() {
      return frame.ref();
    }

    public JsonNode payload() {
      try {
        return JSON.readTree(frame.payload().toArray());
      } catch (IOException e) {
        throw new AssertionError("payload is not JSON: " + frame.payload().utf8String(), e);
      }
    }

    /** "ok" or "error" for a phx_reply. */
    public String status() {
      return payload().path("status").asText(null);
    }

    /** The reason of an error reply. */
    public String reason() {
      return payload().path("response").path("reason").asText(null);
    }

    public JsonNode response() {
      return payload().path("response");
    }

    @Override
    public String toString() {
      return ByteString.fromArrayUnsafe(wire).drop(headerLength(wire)).utf8String();
    }
  }

  private final OutboundQueue queue;
  private final Semaphore woken = new Semaphore(0);
  private final ArrayDeque<Out> read = new ArrayDeque<>();

  public QueueReader(OutboundQueue queue) {
    this.queue = queue;
    queue.attach(woken::release);
  }

  /** A queue with the default bounds, read by a new reader. */
  public static QueueReader create(Metrics metrics) {
    return new QueueReader(new OutboundQueue(10_000, 1 << 20, metrics));
  }

  public OutboundQueue queue() {
    return queue;
  }

  /** The next frame queued, waiting for it at most {@code deadline}. */
  public Out next(Duration deadline) {
    long end = System.nanoTime() + deadline.toNanos();
    while (true) {
      drain();
      if (!read.isEmpty()) return read.pollFirst();
      long left = end - System.nanoTime();
      if (left <= 0) throw new AssertionError("no frame queued within " + deadline);
      try {
        woken.tryAcquire(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  public Out next() {
    return next(Duration.ofSeconds(3));
  }

  /**
   * The next queued frame as the very buffer the queue holds (not a copy), or null: to see who
   * shares its memory. The caller releases it. Frames already read are not in it.
   */
  public ByteBuf pollBuffer() {
    if (!read.isEmpty()) throw new IllegalStateException("frames were read already: " + read);
    return queue.poll(1); // one frame, never a batch
  }

  /** Fails if a frame has been queued (and not yet read). */
  public void expectNothingQueued() {
    drain();
    if (!read.isEmpty()) throw new AssertionError("unexpected frame queued: " + read.peekFirst());
  }

  /** The close the actors requested (waiting for it at most {@code deadline}), or a failure. */
  public CloseReason awaitClose(Duration deadline) {
    long end = System.nanoTime() + deadline.toNanos();
    while (true) {
      drain();
      CloseReason close = queue.closeRequest();
      if (close != null) return close;
      long left = end - System.nanoTime();
      if (left <= 0) throw new AssertionError("no close requested within " + deadline);
      try {
        woken.tryAcquire(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  /** The close requested so far, or null. */
  public CloseReason closeRequest() {
    return queue.closeRequest();
  }

  /** Moves every queued frame into {@link #read}, releasing the polled buffers. */
  private void drain() {
    ByteBuf batch;
    while ((batch = queue.poll(Integer.MAX_VALUE)) != null) {
      byte[] bytes;
      try {
        bytes = new byte[batch.readableBytes()];
        batch.getBytes(batch.readerIndex(), bytes);
      } finally {
        batch.release();
      }
      split(bytes);
    }
  }

  private void split(byte[] bytes) {
    int at = 0;
    while (at < bytes.length) {
      byte[] rest = Arrays.copyOfRange(bytes, at, bytes.length);
      boolean binary = (rest[0] & 0xFF) == 0x82;
      if ((rest[0] & 0xFF) != 0x81 && !binary) throw new AssertionError("not a complete text or binary frame: opcode byte " + rest[0]);
      int header = headerLength(rest);
      long length = payloadLength(rest);
      int total = Math.toIntExact(header + length);
      byte[] wire = Arrays.copyOfRange(rest, 0, total);
      ByteString payload = ByteString.fromArrayUnsafe(wire).drop(header);
      try {
        read.addLast(new Out(wire, binary ? binaryBroadcast(payload) : FrameCodec.decode(payload)));
      } catch (ProtocolException e) {
        throw new AssertionError("queued frame is not a Phoenix message: " + payload.utf8String(), e);
      }
      at += total;
    }
  }

  /** A binary broadcast as a binary {@link Frame} without refs. */
  private static Frame binaryBroadcast(ByteString payload) throws ProtocolException {
    BinaryCodec.Broadcast b = BinaryCodec.decodeBroadcast(payload);
    return new Frame(null, null, b.topic(), b.event(), b.payload(), true);
  }

  private static int headerLength(byte[] frame) {
    int len = frame[1] & 0x7F;
    return len == 126 ? 4 : len == 127 ? 10 : 2;
  }

  private static long payloadLength(byte[] frame) {
    int len = frame[1] & 0x7F;
    if (len < 126) return len;
    int n = len == 126 ? 2 : 8;
    long value = 0;
    for (int i = 0; i < n; i++) value = (value << 8) | (frame[2 + i] & 0xFF);
    return value;
  }

  /** Ends the connection: what is still queued is freed and later offers are refused (and released). */
  @Override
  public void close() {
    queue.terminate();
  }
}
