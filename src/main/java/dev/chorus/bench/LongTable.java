package dev.chorus.bench;

import java.util.HashMap;
import java.util.Map;

/**
 * A map from non-negative long keys to non-zero long values (0 reads as absent), in pages of
 * 4096 slots: 8 bytes a key where keys are dense, as a room's positions and a publisher's
 * counters are, and any key range without allocating what lies between.
 */
final class LongTable {
  private static final int PAGE_BITS = 12;
  private static final int PAGE_MASK = (1 << PAGE_BITS) - 1;

  private final Map<Long, long[]> pages = new HashMap<>();

  long get(long key) {
    long[] page = pages.get(key >>> PAGE_BITS);
    return page == null ? 0 : page[(int) (key & PAGE_MASK)];
  }

  void put(long key, long value) {
    if (key < 0) throw new IllegalArgumentException("negative key " + key);
    pages.computeIfAbsent(key >>> PAGE_BITS, k -> new long[1 << PAGE_BITS])[(int) (key & PAGE_MASK)] = value;
  }
}
