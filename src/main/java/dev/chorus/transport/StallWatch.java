package dev.chorus.transport;

/**
 * The write deadline of one connection (chorus.connection.outbound-stall-timeout): has its
 * socket failed to take what it was handed for too long? Pure bookkeeping, used on the
 * connection's event loop; times are {@link System#nanoTime()}.
 *
 * <p>The socket has <em>drained</em> when Netty's buffer for the connection holds nothing the
 * socket has not taken. It is <em>stalled</em> when it has held bytes for the whole timeout
 * without draining once: its client stopped reading, or reads but keeps falling further behind
 * the stream. A client that reads slowly but keeps up drains between bursts and never stalls.
 * Frames waiting in the outbound queue while the socket could take them do not count: that
 * wait is the server's, not the client's.
 *
 * <p>Netty's buffer fills only through the connection's writer, which reports it to
 * {@link #observe} before and after each write, as the timer's {@link #check} does; so a moment
 * when it was empty is always seen (at the latest when the writer next runs), and a connection
 * whose socket drained within the timeout is never found stalled.
 */
final class StallWatch {
  enum Verdict {
    /** Nothing waits for the socket: no deadline runs. */
    DRAINED,
    /** Bytes wait, for less than the timeout so far: check again after {@link #remaining}. */
    WAITING,
    /** Bytes have waited the whole timeout without the socket draining once. */
    STALLED
  }

  private final long timeoutNanos;
  private long drainedAt;

  StallWatch(long timeoutNanos, long now) {
    this.timeoutNanos = timeoutNanos;
    this.drainedAt = now;
  }

  /** Netty's buffer held {@code pending} bytes the socket had not taken, at {@code now}. */
  void observe(long pending, long now) {
    if (pending == 0) drainedAt = now;
  }

  /** Observes {@code pending} at {@code now} and decides. */
  Verdict check(long pending, long now) {
    observe(pending, now);
    if (pending == 0) return Verdict.DRAINED;
    return remaining(now) <= 0 ? Verdict.STALLED : Verdict.WAITING;
  }

  /** Nanoseconds from {@code now} until bytes still waiting then make the socket stalled. */
  long remaining(long now) {
    return drainedAt + timeoutNanos - now;
  }
}
