package dev.chorus.placement;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where shards belong: each shard on the owner, in a {@link HashRing}, of the regions that may
 * take shards ("candidates"). Regions are named by string keys (their node's address).
 *
 * <p>Because the target of a shard depends only on the shard id and the set of candidates, not
 * on the current allocation or on the order shards were asked for, a change of candidates moves
 * only the shards whose owner changed, and every coordinator computes the same placement.
 *
 * <p>Thread-safe; the coordinator calls it from one actor anyway.
 */
public final class ShardPlacement {
  // Numeric order for Pekko's numeric shard ids ("2" before "10"), and still a total order for
  // any other id, so that the shards picked in a bounded round are the same on every run.
  private static final Comparator<String> SHARD_ORDER =
      Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder());

  private final int virtualNodes;
  // The last ring built. Candidates change only when nodes join or leave, while allocate runs
  // once per shard (1000 times when a cluster starts), so one cached ring saves rebuilding it.
  private volatile HashRing lastRing;

  public ShardPlacement(int virtualNodes) {
    if (virtualNodes < 1) {
      throw new IllegalArgumentException("virtualNodes must be at least 1, was " + virtualNodes);
    }
    this.virtualNodes = virtualNodes;
    this.lastRing = HashRing.of(Set.of(), virtualNodes);
  }

  /** The candidate that should host {@code shardId}. */
  public String allocate(String shardId, Collection<String> candidates) {
    if (candidates.isEmpty()) {
      throw new IllegalArgumentException("no region to allocate shard " + shardId + " to");
    }
    return ring(candidates).owner(shardId);
  }

  /**
   * The shards to hand off this round: those not on their ring owner, except those already being
   * handed off, in shard-id order, and only so many that at most {@code limit} are in flight
   * together with {@code inProgress}. Handed-off shards are then allocated anew, to their owner;
   * repeated rounds end with every shard on its owner.
   *
   * @param allocation region key to the shards it holds; may include regions that are not
   *     candidates (their shards all move)
   */
  public List<String> rebalance(
      Map<String, ? extends Collection<String>> allocation,
      Collection<String> candidates,
      Set<String> inProgress,
      int limit) {
    // Counting the shards still in flight, not only this round's, keeps the bound when handoffs
    // outlast a rebalance interval (a slow entity stop; a leaving node's whole set of shards).
    int budget = limit - inProgress.size();
    if (candidates.isEmpty() || budget < 1) {
      return List.of();
    }
    HashRing ring = ring(candidates);
    List<String> misplaced = new ArrayList<>();
    allocation.forEach(
        (region, shards) -> {
          for (String shard : shards) {
            if (!inProgress.contains(shard) && !ring.owner(shard).equals(region)) {
              misplaced.add(shard);
            }
          }
        });
    misplaced.sort(SHARD_ORDER);
    return List.copyOf(misplaced.subList(0, Math.min(budget, misplaced.size())));
  }

  /** The ring of these candidates. */
  public HashRing ring(Collection<String> candidates) {
    HashRing ring = lastRing;
    Set<String> wanted = candidates instanceof Set<String> set ? set : new HashSet<>(candidates);
    if (!ring.nodes().equals(wanted)) {
      ring = HashRing.of(wanted, virtualNodes);
      lastRing = ring;
    }
    return ring;
  }

  public int virtualNodes() {
    return virtualNodes;
  }
}
