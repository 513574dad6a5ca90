package dev.chorus.bench;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A handle on a chaos run from outside it (a test that kills and drains nodes meanwhile): when
 * publishing started, how many clients are in service right now, and ending the publishing
 * phase before {@code --duration} is up. The bench command uses one nobody touches.
 */
public final class ChaosControl {
  /** What the run shows of itself while it runs. */
  interface Live {
    int clients();

    int inService();

    long pushesAcked();

    long reconnects();

    /** Cuts every subscriber's connection at once for {@code awayMillis} (each reconnects and recovers). */
    void dropSubscriberConnections(long awayMillis);
  }

  private final CountDownLatch publishing = new CountDownLatch(1);
  private final CountDownLatch endRequested = new CountDownLatch(1);
  private volatile Live live;

  /** Waits until every client was first in service and the publishers started; false on timeout. */
  public boolean awaitPublishing(Duration timeout) throws InterruptedException {
    return publishing.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Ends the publishing phase now (settling and the report follow); at --duration otherwise. */
  public void endPublishing() {
    endRequested.countDown();
  }

  /** Clients of the run, publishers included (0 before publishing starts). */
  public int clients() {
    Live l = live;
    return l == null ? 0 : l.clients();
  }

  /** Clients connected with every topic joined, right now. */
  public int inService() {
    Live l = live;
    return l == null ? 0 : l.inService();
  }

  public long pushesAcked() {
    Live l = live;
    return l == null ? 0 : l.pushesAcked();
  }

  public long reconnects() {
    Live l = live;
    return l == null ? 0 : l.reconnects();
  }

  /**
   * For tests of the clients themselves, on one node: every subscriber's connection is cut at
   * once, as a network blip of {@code away} would, and each reconnects after it and recovers as
   * after a node's loss, while the publishers go on.
   */
  void dropSubscriberConnections(Duration away) {
    Live l = live;
    if (l != null) l.dropSubscriberConnections(away.toMillis());
  }

  void publishingStarted(Live live) {
    this.live = live;
    publishing.countDown();
  }

  /** Waits up to {@code millis} for {@link #endPublishing}; true if it was asked. */
  boolean awaitEndRequest(long millis) throws InterruptedException {
    return endRequested.await(millis, TimeUnit.MILLISECONDS);
  }
}
