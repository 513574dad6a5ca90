package dev.chorus.webhooks;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The events waiting to be sent, at most {@code capacity}: one more is refused (the caller
 * counts it dropped), so a backend that is down or slow costs the node bounded memory. Batches
 * are taken oldest first. Thread-safe: room entities offer from their threads, the sender takes.
 */
public final class EventQueue<E> {
  private final int capacity;
  private final ArrayDeque<E> events = new ArrayDeque<>();

  public EventQueue(int capacity) {
    this.capacity = capacity;
  }

  /** False, and nothing kept, when the queue is full. */
  public synchronized boolean offer(E event) {
    if (events.size() >= capacity) return false;
    events.addLast(event);
    return true;
  }

  /** Up to {@code max} of the oldest events, taken out; empty when none waits. */
  public synchronized List<E> take(int max) {
    List<E> batch = new ArrayList<>(Math.min(max, events.size()));
    while (batch.size() < max && !events.isEmpty()) batch.add(events.pollFirst());
    return batch;
  }

  public synchronized int size() {
    return events.size();
  }
}
