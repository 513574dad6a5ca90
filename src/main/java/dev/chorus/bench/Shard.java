package dev.chorus.bench;

/**
 * Which part of the run this process does under {@code --processes N}: connection number
 * {@code g} (counted over the whole run) belongs to shard {@code g % count}.
 */
record Shard(int index, int count) {
  static final Shard WHOLE = new Shard(0, 1);

  boolean owns(int globalIndex) {
    return globalIndex % count == index;
  }

  /** How many of {@code total} numbered items this shard owns. */
  int shareOf(int total) {
    return total / count + (index < total % count ? 1 : 0);
  }
}
