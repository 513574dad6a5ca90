package dev.chorus.transport;

import dev.chorus.metrics.Metrics;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's open WebSocket connections, known by their outbound queues, and whether the node
 * still accepts new ones. Draining a node (operator, SIGTERM, cluster removal) stops new
 * upgrades here and closes existing connections through this registry, a batch at a time.
 */
public final class Connections {
  /** Each open connection's queue, and its user. */
  private final Map<OutboundQueue, String> open = new ConcurrentHashMap<>();
  private final CountsPerKey perUser = new CountsPerKey();
  private volatile boolean draining;

  /**
   * A queue for a new connection of {@code user}, or null when the user already has
   * {@code max-per-user} open here; the connection counts as open until its queue terminates.
   */
  OutboundQueue newQueue(ConnectionSettings settings, Metrics metrics, String user) {
    if (!perUser.tryAcquire(user, settings.maxPerUser())) return null;
    OutboundQueue queue = new OutboundQueue(settings.outboundMaxFrames(), settings.outboundMaxBytes(), metrics);
    queue.onTerminate(() -> {
      open.remove(queue);
      perUser.release(user);
    });
    open.put(queue, user);
    return queue;
  }

  /** Asks every open connection of {@code user} to close with {@code reason}; returns how many. */
  public int closeUser(String user, CloseReason reason) {
    int asked = 0;
    for (Map.Entry<OutboundQueue, String> e : open.entrySet()) {
      if (e.getValue().equals(user) && e.getKey().closeRequest() == null) {
        e.getKey().close(reason, false);
        asked++;
      }
    }
    return asked;
  }

  /** The open connections' queues (a live view: connections come and go while it is read). */
  Iterable<OutboundQueue> queues() {
    return open.keySet();
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
    for (Iterator<OutboundQueue> it = open.keySet().iterator(); it.hasNext() && asked < n; ) {
      OutboundQueue queue = it.next();
      if (queue.closeRequest() == null) {
        queue.close(reason, false);
        asked++;
      }
    }
    return asked;
  }
}
