package dev.chorus.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class HashRingTest {
  static final int SHARDS = 1000;
  static final int VIRTUAL_NODES = 200;
  // Measured with 200 virtual nodes on both address layouts below, N = 3..10: the most loaded
  // node held at most 1.19 x the mean, a joining node took at most 1.19 x its fair share.
  static final double MAX_OVER_MEAN = 1.25;
  static final double JOIN_MOVES_OVER_MINIMUM = 1.25;

  // Nodes on separate hosts, and several nodes on one host (the shape of a local test cluster).
  static final Map<String, IntFunction<String>> LAYOUTS =
      Map.of(
          "hosts", i -> "pekko://chorus@10.0.0." + (i + 1) + ":25520",
          "ports", i -> "pekko://chorus@127.0.0.1:" + (25520 + i));

  static Stream<Arguments> layoutsAndSizes() {
    return LAYOUTS.keySet().stream()
        .sorted()
        .flatMap(layout -> IntStream.rangeClosed(3, 10).mapToObj(n -> Arguments.of(layout, n)));
  }

  static List<String> nodes(String layout, int count) {
    return IntStream.range(0, count).mapToObj(LAYOUTS.get(layout)).toList();
  }

  static List<String> shardIds() {
    return IntStream.range(0, SHARDS).mapToObj(Integer::toString).toList();
  }

  static Map<String, String> owners(HashRing ring) {
    Map<String, String> owners = new HashMap<>();
    for (String shard : shardIds()) {
      owners.put(shard, ring.owner(shard));
    }
    return owners;
  }

  @ParameterizedTest(name = "{0}, {1} nodes")
  @MethodSource("layoutsAndSizes")
  void mostLoadedNodeHoldsAtMostBoundTimesTheMean(String layout, int n) {
    List<String> nodes = nodes(layout, n);
    Map<String, Integer> load = new HashMap<>();
    for (String owner : owners(HashRing.of(nodes, VIRTUAL_NODES)).values()) {
      load.merge(owner, 1, Integer::sum);
    }

    double mean = (double) SHARDS / n;
    int max = Collections.max(load.values());
    assertEquals(n, load.size(), "every node owns shards");
    assertTrue(max <= MAX_OVER_MEAN * mean, "max " + max + " over mean " + mean);
  }

  @ParameterizedTest(name = "{0}, {1} nodes + 1")
  @MethodSource("layoutsAndSizes")
  void joiningNodeTakesOnlyItsOwnShardsAndAboutItsShare(String layout, int n) {
    List<String> before = nodes(layout, n);
    List<String> after = nodes(layout, n + 1);
    String newcomer = after.get(n);
    Map<String, String> was = owners(HashRing.of(before, VIRTUAL_NODES));
    Map<String, String> is = owners(HashRing.of(after, VIRTUAL_NODES));

    int moved = 0;
    for (String shard : shardIds()) {
      if (!was.get(shard).equals(is.get(shard))) {
        assertEquals(newcomer, is.get(shard), "shard " + shard + " moved between old nodes");
        moved++;
      }
    }
    double minimum = (double) SHARDS / (n + 1);
    assertTrue(moved > 0);
    assertTrue(moved <= JOIN_MOVES_OVER_MINIMUM * minimum, moved + " moved, minimum " + minimum);
  }

  @ParameterizedTest(name = "{0}, {1} nodes - 1")
  @MethodSource("layoutsAndSizes")
  void leavingNodeGivesAwayExactlyItsShards(String layout, int n) {
    List<String> before = nodes(layout, n);
    for (String leaver : before) {
      List<String> after = new ArrayList<>(before);
      after.remove(leaver);
      Map<String, String> was = owners(HashRing.of(before, VIRTUAL_NODES));
      Map<String, String> is = owners(HashRing.of(after, VIRTUAL_NODES));
      for (String shard : shardIds()) {
        boolean moved = !was.get(shard).equals(is.get(shard));
        assertEquals(was.get(shard).equals(leaver), moved, "shard " + shard + " without " + leaver);
      }
    }
  }

  @Test
  void sameNodesGiveTheSameRingWhateverTheirOrder() {
    List<String> nodes = nodes("hosts", 7);
    List<String> reversed = new ArrayList<>(nodes);
    Collections.reverse(reversed);
    List<String> duplicated = new ArrayList<>(nodes);
    duplicated.addAll(nodes);

    Map<String, String> owners = owners(HashRing.of(nodes, VIRTUAL_NODES));
    assertEquals(owners, owners(HashRing.of(reversed, VIRTUAL_NODES)));
    assertEquals(owners, owners(HashRing.of(duplicated, VIRTUAL_NODES)));
  }

  @Test
  void hashIsFixedAcrossRunsAndJvms() {
    // First 8 bytes of MD5, as `md5sum` or Python's hashlib give them: a ring computed on one
    // node, version or JVM must equal the ring computed on any other.
    assertEquals(0x970ae9dcbe08d5b4L, HashRing.hash("chorus"));
    assertEquals(0xcfcd208495d565efL, HashRing.hash("0"));
  }

  @Test
  void keyBelongsToTheNextPointClockwiseAndWrapsAroundAfterTheLast() {
    HashRing ring = HashRing.of(List.of("a", "b"), 1);
    long a = HashRing.hash("a#0");
    long b = HashRing.hash("b#0");
    String low = a < b ? "a" : "b";
    String high = a < b ? "b" : "a";
    long lowPoint = Math.min(a, b);
    long highPoint = Math.max(a, b);

    String between = keyWithHash(h -> h > lowPoint && h <= highPoint);
    String past = keyWithHash(h -> h > highPoint);
    assertEquals(high, ring.owner(between));
    assertEquals(low, ring.owner(past));
  }

  private static String keyWithHash(java.util.function.LongPredicate wanted) {
    return IntStream.range(0, 1_000_000)
        .mapToObj(i -> "key-" + i)
        .filter(key -> wanted.test(HashRing.hash(key)))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void refusesNonsense() {
    assertThrows(IllegalArgumentException.class, () -> HashRing.of(List.of("a"), 0));
    assertThrows(IllegalStateException.class, () -> HashRing.of(List.of(), 10).owner("0"));
  }
}
