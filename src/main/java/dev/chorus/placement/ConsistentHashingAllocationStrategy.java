package dev.chorus.placement;

import com.typesafe.config.Config;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.dispatch.Futures;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Places room shards by consistent hashing of the shard id over the regions' node addresses
 * (see {@link ShardPlacement}), so that a node joining or leaving moves only the shards whose
 * ring owner changed, instead of Pekko's least-shard strategy, whose placement depends on the
 * order shards were first used.
 *
 * <p>This class only translates between the coordinator's {@code ActorRef}s and address keys,
 * and reads the cluster's view of each member: regions on members that are leaving, exiting,
 * down or removed take no shards (their shards move away), and no rebalance starts while a
 * member is unreachable or still joining, as in Pekko's own strategies, because a handoff needs
 * every region's acknowledgement.
 *
 * <p>{@code ActorSystemDependentAllocationStrategy} is marked internal in Pekko, but it is how
 * Pekko's own strategies reach the cluster: the coordinator calls {@code start} with its system
 * before any allocation, on whichever node it runs.
 */
public final class ConsistentHashingAllocationStrategy
    extends ShardCoordinator.AbstractShardAllocationStrategy
    implements ShardCoordinator.ActorSystemDependentAllocationStrategy {

  private static final Set<MemberStatus> GOING_AWAY =
      Set.of(
          MemberStatus.leaving(),
          MemberStatus.exiting(),
          MemberStatus.down(),
          MemberStatus.removed());
  private static final Set<MemberStatus> STILL_JOINING =
      Set.of(MemberStatus.joining(), MemberStatus.weaklyUp());

  private final ShardPlacement placement;
  private final int rebalanceLimit;
  private volatile Supplier<Membership> membership;

  public ConsistentHashingAllocationStrategy(int virtualNodes, int rebalanceLimit) {
    this(virtualNodes, rebalanceLimit, null);
  }

  // Tests pass a fixed membership instead of forming a cluster.
  ConsistentHashingAllocationStrategy(
      int virtualNodes, int rebalanceLimit, Supplier<Membership> membership) {
    if (rebalanceLimit < 1) {
      throw new IllegalArgumentException(
          "rebalanceLimit must be at least 1, was " + rebalanceLimit);
    }
    this.placement = new ShardPlacement(virtualNodes);
    this.rebalanceLimit = rebalanceLimit;
    this.membership = membership;
  }

  /** From {@code room.sharding.virtual-nodes} and {@code room.sharding.rebalance-limit}. */
  public static ConsistentHashingAllocationStrategy fromConfig(Config chorus) {
    return new ConsistentHashingAllocationStrategy(
        chorus.getInt("room.sharding.virtual-nodes"),
        chorus.getInt("room.sharding.rebalance-limit"));
  }

  @Override
  public void start(ActorSystem system) {
    Cluster cluster = Cluster.get(system);
    membership = () -> Membership.of(cluster);
  }

  @Override
  public Future<ActorRef> allocateShard(
      ActorRef requester,
      String shardId,
      Map<ActorRef, IndexedSeq<String>> currentShardAllocations) {
    Regions regions = Regions.of(currentShardAllocations, membership());
    // A view that does not list the members yet (or only members on their way out) must not
    // stop the room from starting somewhere: then every region is a candidate.
    Set<String> candidates =
        regions.candidates().isEmpty() ? regions.refs().keySet() : regions.candidates();
    if (candidates.isEmpty()) {
      return Futures.failed(new IllegalStateException("no region to allocate shard " + shardId));
    }
    return Futures.successful(regions.refs().get(placement.allocate(shardId, candidates)));
  }

  @Override
  public Future<Set<String>> rebalance(
      Map<ActorRef, IndexedSeq<String>> currentShardAllocations, Set<String> rebalanceInProgress) {
    Membership view = membership();
    if (!view.settled()) {
      return Futures.successful(Set.of());
    }
    Regions regions = Regions.of(currentShardAllocations, view);
    List<String> moves =
        placement.rebalance(
            regions.allocation(), regions.candidates(), rebalanceInProgress, rebalanceLimit);
    return Futures.successful(new LinkedHashSet<>(moves));
  }

  int virtualNodes() {
    return placement.virtualNodes();
  }

  int rebalanceLimit() {
    return rebalanceLimit;
  }

  private Membership membership() {
    Supplier<Membership> supplier = membership;
    if (supplier == null) {
      throw new IllegalStateException("the shard coordinator has not called start(ActorSystem)");
    }
    return supplier.get();
  }

  /**
   * The cluster as this strategy needs it: this node's address, each member's status, and
   * whether a handoff could complete now (no member unreachable or joining).
   */
  record Membership(Address self, Map<Address, MemberStatus> members, boolean settled) {
    static Membership of(Cluster cluster) {
      CurrentClusterState state = cluster.state();
      Map<Address, MemberStatus> members = new HashMap<>();
      boolean joining = false;
      for (Member member : state.getMembers()) {
        members.put(member.address(), member.status());
        joining |= STILL_JOINING.contains(member.status());
      }
      return new Membership(
          cluster.selfAddress(), members, !joining && state.getUnreachable().isEmpty());
    }

    boolean knows(Address address) {
      return members.containsKey(address);
    }

    boolean takesShards(Address address) {
      MemberStatus status = members.get(address);
      return status != null && !GOING_AWAY.contains(status);
    }
  }

  /** The coordinator's regions under their address keys. */
  private record Regions(
      Map<String, ActorRef> refs, Map<String, List<String>> allocation, Set<String> candidates) {

    static Regions of(Map<ActorRef, IndexedSeq<String>> allocations, Membership membership) {
      Map<String, ActorRef> refs = new HashMap<>();
      Map<String, List<String>> allocation = new HashMap<>();
      Set<String> candidates = new LinkedHashSet<>();
      allocations.forEach(
          (ref, shards) -> {
            Address address = addressOf(ref, membership);
            String key = address.toString();
            refs.put(key, ref);
            // A region whose member the view does not list (not yet, or removed already) is left
            // out of rebalancing, as Pekko's strategies do: a handoff to or from it could stall.
            if (membership.knows(address)) {
              allocation.put(key, CollectionConverters.asJava(shards));
            }
            if (membership.takesShards(address)) {
              candidates.add(key);
            }
          });
      return new Regions(refs, allocation, Collections.unmodifiableSet(candidates));
    }

    // The coordinator's own node's region has a local path (pekko://chorus/...) without host
    // and port; it must hash as the node's cluster address, as the other nodes see it.
    private static Address addressOf(ActorRef region, Membership membership) {
      Address address = region.path().address();
      return address.hasLocalScope() ? membership.self() : address;
    }
  }
}
