package dev.chorus.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShardPlacementTest {
  static final int LIMIT = 100;

  private final ShardPlacement placement = new ShardPlacement(HashRingTest.VIRTUAL_NODES);

  /** Each shard on its ring owner among {@code regions}, as allocate would leave them. */
  private Map<String, List<String>> settledOn(List<String> regions) {
    Map<String, List<String>> allocation = new HashMap<>();
    regions.forEach(region -> allocation.put(region, new ArrayList<>()));
    for (String shard : HashRingTest.shardIds()) {
      allocation.get(placement.allocate(shard, regions)).add(shard);
    }
    return allocation;
  }

  /** What the coordinator does with a round's answer: hand off, then allocate anew. */
  private void handOff(
      Map<String, List<String>> allocation, List<String> shards, List<String> regions) {
    allocation.values().forEach(held -> held.removeAll(shards));
    for (String shard : shards) {
      allocation.get(placement.allocate(shard, regions)).add(shard);
    }
  }

  private static Map<String, Set<String>> asSets(Map<String, List<String>> allocation) {
    Map<String, Set<String>> sets = new HashMap<>();
    allocation.forEach((region, shards) -> sets.put(region, new HashSet<>(shards)));
    return sets;
  }

  @Test
  void allocatesToTheRingOwner() {
    List<String> regions = HashRingTest.nodes("hosts", 5);
    HashRing ring = HashRing.of(regions, HashRingTest.VIRTUAL_NODES);
    for (String shard : HashRingTest.shardIds()) {
      assertEquals(ring.owner(shard), placement.allocate(shard, regions));
    }
  }

  @Test
  void nothingMovesWhenEveryShardIsOnItsOwner() {
    List<String> regions = HashRingTest.nodes("hosts", 5);
    assertEquals(List.of(), placement.rebalance(settledOn(regions), regions, Set.of(), LIMIT));
  }

  @Test
  void roundsAfterAJoinAreBoundedAndEndOnTheRingPlacement() {
    for (int n = 3; n <= 10; n++) {
      List<String> before = HashRingTest.nodes("hosts", n);
      List<String> after = HashRingTest.nodes("hosts", n + 1);
      Map<String, List<String>> allocation = settledOn(before);
      allocation.put(after.get(n), new ArrayList<>());

      int rounds = 0;
      int moved = 0;
      List<String> round;
      while (!(round = placement.rebalance(allocation, after, Set.of(), LIMIT)).isEmpty()) {
        assertTrue(round.size() <= LIMIT, "round of " + round.size());
        for (String shard : round) {
          assertEquals(after.get(n), placement.allocate(shard, after), "only to the newcomer");
        }
        handOff(allocation, round, after);
        moved += round.size();
        rounds++;
        assertTrue(rounds <= HashRingTest.SHARDS / LIMIT, "does not converge");
      }
      assertEquals((moved + LIMIT - 1) / LIMIT, rounds, "every round but the last is full");
      assertEquals(moved, allocation.get(after.get(n)).size());
      assertEquals(asSets(settledOn(after)), asSets(allocation), "ring placement, " + n + " nodes");
    }
  }

  @Test
  void shardsOfARegionThatTakesNoShardsAllMove() {
    List<String> all = HashRingTest.nodes("hosts", 4);
    List<String> staying = all.subList(0, 3);
    Map<String, List<String>> allocation = settledOn(all);
    Set<String> leaverShards = new HashSet<>(allocation.get(all.get(3)));

    List<String> moves = placement.rebalance(allocation, staying, Set.of(), 1000);

    assertEquals(leaverShards, new HashSet<>(moves));
  }

  @Test
  void shardsInProgressAreNotReturnedAndCountAgainstTheLimit() {
    List<String> before = HashRingTest.nodes("hosts", 4);
    List<String> after = HashRingTest.nodes("hosts", 5);
    Map<String, List<String>> allocation = settledOn(before);
    allocation.put(after.get(4), new ArrayList<>());
    List<String> firstRound = placement.rebalance(allocation, after, Set.of(), LIMIT);
    assertEquals(LIMIT, firstRound.size());

    Set<String> stillInFlight = new HashSet<>(firstRound.subList(0, 30));
    List<String> secondRound = placement.rebalance(allocation, after, stillInFlight, LIMIT);
    Set<String> allInFlight = new HashSet<>(firstRound);

    assertEquals(LIMIT - 30, secondRound.size());
    secondRound.forEach(shard -> assertFalse(stillInFlight.contains(shard), shard));
    assertEquals(List.of(), placement.rebalance(allocation, after, allInFlight, LIMIT));
  }

  @Test
  void aBoundedRoundPicksTheSameShardsEveryTime() {
    List<String> before = HashRingTest.nodes("hosts", 3);
    List<String> after = HashRingTest.nodes("hosts", 4);
    Map<String, List<String>> allocation = settledOn(before);
    allocation.put(after.get(3), new ArrayList<>());

    List<String> round = placement.rebalance(allocation, after, Set.of(), 10);
    ShardPlacement another = new ShardPlacement(HashRingTest.VIRTUAL_NODES);
    List<String> again = another.rebalance(allocation, after, Set.of(), 10);

    assertEquals(round, again);
    List<String> inShardOrder = new ArrayList<>(round);
    inShardOrder.sort((a, b) -> Integer.compare(Integer.parseInt(a), Integer.parseInt(b)));
    assertEquals(inShardOrder, round, "lowest shard ids first");
  }

  @Test
  void noCandidatesMeansNoAllocationAndNoRebalance() {
    Map<String, List<String>> allocation = Map.of("a", List.of("1", "2"));
    assertThrows(IllegalArgumentException.class, () -> placement.allocate("1", List.of()));
    assertEquals(List.of(), placement.rebalance(allocation, List.of(), Set.of(), LIMIT));
  }
}
