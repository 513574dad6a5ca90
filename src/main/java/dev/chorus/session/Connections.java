package dev.chorus.session;

import dev.chorus.ops.Metrics;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's open WebSocket connections, known by their outbound queues, and whether the node
 * still accepts new ones. Draining a node (operator, SIGTERM, cluster removal) stops new
 * upgrades here and closes existing connections through this registry, a batch at a time.
 */
public final class Connections {
  private final Set<OutboundQueue> open = ConcurrentHashMap.newKeySet();
  private volatile boolean draining;

  /** A queue for a new connection; the connection counts as open until its queue terminates. */
  OutboundQueue newQueue(ConnectionSettings settings, Metrics metrics) {
    OutboundQueue queue = new OutboundQueue(settings.outboundMaxFrames(), settings.outboundMaxBytes(), metrics);
    queue.onTerminate(() -> open.remove(queue));
    open.add(queue);
    return queue;
  }

  public int count() {
    return open.size();
  }

  public boolean draining() {
    return draining;
  }

  /** From now on upgrades are refused (HTTP 503) and readiness reports false. */
  public void stopAccepting() {
    draining = true;
  }

  /**
   * Asks up to {@code n} open connections that are not already closing to close with
   * {@code reason} once what is queued for them is written; returns how many were asked.
   */
  public int close(int n, CloseReason reason) {
    int asked = 0;
    for (Iterator<OutboundQueue> it = open.iterator(); it.hasNext() && asked < n; ) {
      OutboundQueue queue = it.next();
      if (queue.closeRequest() == null) {
        queue.close(reason, false);
        asked++;
      }
    }
    return asked;
  }
}
