package dev.chorus.ops;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The last {@code capacity} items, oldest first: a node's kept samples (chorus.admin.sample-history
 * over sample-interval of them). Adding one past the bound drops the oldest. Not thread-safe: one
 * actor owns it.
 */
public final class BoundedRing<T> {
  private final int capacity;
  private final ArrayDeque<T> items;

  public BoundedRing(int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("capacity must be at least 1");
    this.capacity = capacity;
    this.items = new ArrayDeque<>(Math.min(capacity, 1024));
  }

  public void add(T item) {
    if (items.size() == capacity) items.removeFirst();
    items.addLast(item);
  }

  /** The items, oldest first (a copy). */
  public List<T> oldestFirst() {
    return List.copyOf(items);
  }

  /** The newest item, or null when there is none yet. */
  public T latest() {
    return items.peekLast();
  }

  public int size() {
    return items.size();
  }

  public int capacity() {
    return capacity;
  }
}
