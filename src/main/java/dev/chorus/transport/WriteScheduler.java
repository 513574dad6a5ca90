package dev.chorus.transport;

import io.netty.channel.EventLoop;
import io.netty.util.internal.PlatformDependent;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Wakes the writers of one event loop's connections with one task for many: a room that queues
 * a broadcast to a hundred members would otherwise hand the loop a hundred tasks. Connections
 * with something to write line up here (from any thread), and one task on the loop writes them
 * all, in the order they lined up.
 */
final class WriteScheduler implements Runnable {
  private final EventLoop loop;
  private final Queue<WebSocketConnection> ready = PlatformDependent.newMpscQueue();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  WriteScheduler(EventLoop loop) {
    this.loop = loop;
  }

  /** Has {@code connection} write what it has queued, soon, on its event loop. */
  void schedule(WebSocketConnection connection) {
    ready.offer(connection);
    if (scheduled.compareAndSet(false, true)) loop.execute(this);
  }

  @Override
  public void run() {
    // Cleared first: a connection lining up while this drains is either taken by this run or
    // schedules the next one.
    scheduled.set(false);
    WebSocketConnection connection;
    while ((connection = ready.poll()) != null) connection.write();
  }
}
