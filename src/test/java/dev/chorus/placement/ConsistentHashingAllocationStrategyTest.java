package dev.chorus.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.chorus.testkit.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.MemberStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The adapter with real region refs (one local, as the coordinator sees its own node's region,
 * and remote ones) and a fixed membership instead of a formed cluster.
 */
class ConsistentHashingAllocationStrategyTest {
  static final Address SELF = AddressFromURIString.parse("pekko://chorus@127.0.0.1:25520");
  static final Address SECOND = AddressFromURIString.parse("pekko://chorus@10.0.0.2:25520");
  static final Address THIRD = AddressFromURIString.parse("pekko://chorus@10.0.0.3:25520");
  static final int VIRTUAL_NODES = HashRingTest.VIRTUAL_NODES;

  static ActorSystem system;
  static ActorRef local;
  static ActorRef second;
  static ActorRef third;

  @BeforeAll
  static void refs() {
    // Remoting only so that refs with other nodes' addresses can exist; nothing is sent.
    system =
        ActorSystem.create(
            "chorus",
            ConfigFactory.parseString(
                    "pekko.actor.provider = remote\n"
                        + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
                        + "pekko.remote.artery.canonical.port = 0\n"
                        + "pekko.remote.warn-about-direct-use = off\n"
                        + "pekko.remote.warn-unsafe-watch-outside-cluster = off\n"
                        + "pekko.loglevel = ERROR")
                .withFallback(ConfigFactory.load()));
    local = system.actorOf(Props.empty(), "room-region");
    second = remoteRegion(SECOND);
    third = remoteRegion(THIRD);
  }

  @AfterAll
  static void stop() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  private static ActorRef remoteRegion(Address address) {
    return ((ExtendedActorSystem) system)
        .provider()
        .resolveActorRef(address + "/system/sharding/room");
  }

  private static ConsistentHashingAllocationStrategy strategy(
      int rebalanceLimit, Map<Address, MemberStatus> members, boolean settled) {
    var membership = new ConsistentHashingAllocationStrategy.Membership(SELF, members, settled);
    return new ConsistentHashingAllocationStrategy(VIRTUAL_NODES, rebalanceLimit, () -> membership);
  }

  private static Map<Address, MemberStatus> allUp() {
    return Map.of(SELF, MemberStatus.up(), SECOND, MemberStatus.up(), THIRD, MemberStatus.up());
  }

  private static Map<ActorRef, IndexedSeq<String>> allocation(Map<ActorRef, List<String>> shards) {
    Map<ActorRef, IndexedSeq<String>> allocation = new HashMap<>();
    shards.forEach((ref, ids) -> allocation.put(ref, toScala(ids)));
    return allocation;
  }

  private static IndexedSeq<String> toScala(List<String> shards) {
    return CollectionConverters.asScala(shards).toIndexedSeq();
  }

  private static Map<ActorRef, IndexedSeq<String>> empty(ActorRef... regions) {
    Map<ActorRef, List<String>> shards = new HashMap<>();
    for (ActorRef region : regions) {
      shards.put(region, List.of());
    }
    return allocation(shards);
  }

  private static ActorRef allocate(
      ConsistentHashingAllocationStrategy strategy,
      String shard,
      Map<ActorRef, IndexedSeq<String>> allocation) {
    return completed(strategy.allocateShard(local, shard, allocation));
  }

  private static <T> T completed(Future<T> future) {
    assertTrue(future.isCompleted(), "answers at once");
    return future.value().get().get();
  }

  @Test
  void theCoordinatorsOwnRegionHashesAsItsClusterAddress() {
    ConsistentHashingAllocationStrategy strategy = strategy(100, allUp(), true);
    List<String> addresses = List.of(SELF.toString(), SECOND.toString(), THIRD.toString());
    HashRing ring = HashRing.of(addresses, VIRTUAL_NODES);
    Map<String, ActorRef> byAddress =
        Map.of(SELF.toString(), local, SECOND.toString(), second, THIRD.toString(), third);

    for (String shard : HashRingTest.shardIds()) {
      ActorRef region = allocate(strategy, shard, empty(local, second, third));
      assertEquals(byAddress.get(ring.owner(shard)), region, "shard " + shard);
    }
  }

  @Test
  void aLeavingMemberTakesNoNewShardsAndGivesAwayItsOwn() {
    Map<Address, MemberStatus> members = new HashMap<>(allUp());
    members.put(THIRD, MemberStatus.leaving());
    ConsistentHashingAllocationStrategy strategy = strategy(1000, members, true);

    Map<ActorRef, List<String>> shards = new HashMap<>();
    shards.put(local, new ArrayList<>());
    shards.put(second, new ArrayList<>());
    shards.put(third, List.of("1", "2", "3"));
    for (String shard : HashRingTest.shardIds().subList(4, 1000)) {
      ActorRef region = allocate(strategy, shard, empty(local, second, third));
      assertNotEquals(third, region, "shard " + shard);
      shards.get(region).add(shard);
    }

    Set<String> moves = completed(strategy.rebalance(allocation(shards), Set.of("2")));
    assertEquals(Set.of("1", "3"), moves);
  }

  @Test
  void roundsAreBoundedByTheLimit() {
    ConsistentHashingAllocationStrategy strategy = strategy(100, allUp(), true);
    // Everything on the third region: about two thirds of it belongs elsewhere.
    Map<ActorRef, List<String>> shards =
        Map.of(local, List.of(), second, List.of(), third, HashRingTest.shardIds());

    Set<String> moves = completed(strategy.rebalance(allocation(shards), Set.of()));
    assertEquals(100, moves.size());
  }

  @Test
  void noRebalanceWhileAMemberIsUnreachableOrJoining() {
    ConsistentHashingAllocationStrategy strategy = strategy(100, allUp(), false);
    Map<ActorRef, List<String>> shards =
        Map.of(local, List.of(), second, List.of(), third, HashRingTest.shardIds());

    assertEquals(Set.of(), completed(strategy.rebalance(allocation(shards), Set.of())));
  }

  @Test
  void regionsTheViewDoesNotListYetStillGetShardsWhenNoOtherCan() {
    ConsistentHashingAllocationStrategy strategy = strategy(100, Map.of(), true);
    Set<ActorRef> regions = new HashSet<>(List.of(second, third));
    for (String shard : HashRingTest.shardIds().subList(0, 50)) {
      assertTrue(regions.contains(allocate(strategy, shard, empty(second, third))));
    }
    // ...but their shards are not moved about while the view cannot tell where they belong.
    Map<ActorRef, List<String>> shards = Map.of(second, HashRingTest.shardIds(), third, List.of());
    assertEquals(Set.of(), completed(strategy.rebalance(allocation(shards), Set.of())));
  }

  @Test
  void readsARealClusterOfOne() throws InterruptedException {
    ActorSystem node =
        ActorSystem.create(
            "chorus",
            ConfigFactory.parseString(
                    "pekko.actor.provider = cluster\n"
                        + "pekko.cluster.jmx.enabled = off\n"
                        + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
                        + "pekko.remote.artery.canonical.port = 0\n"
                        + "pekko.loglevel = WARNING")
                .withFallback(ConfigFactory.load()));
    try {
      Cluster cluster = Cluster.get(node);
      cluster.join(cluster.selfAddress());
      TestNode.await("the node Up", Duration.ofSeconds(10), () -> MemberStatus.up().equals(cluster.selfMember().status()));
      var strategy = new ConsistentHashingAllocationStrategy(200, 100);
      strategy.start(node);
      ActorRef region = node.actorOf(Props.empty(), "room-region");

      // The other region's node is no member, so only this node's region takes shards (were
      // the view not read, both would be candidates and about half the shards would go there).
      for (String shard : HashRingTest.shardIds().subList(0, 100)) {
        assertEquals(region, allocate(strategy, shard, empty(region, second)), "shard " + shard);
      }
      Map<ActorRef, List<String>> shards = Map.of(region, List.of("1", "2"), second, List.of());
      assertEquals(Set.of(), completed(strategy.rebalance(allocation(shards), Set.of())));
    } finally {
      node.terminate();
      node.getWhenTerminated().toCompletableFuture().join();
    }
  }

  @Test
  void readsItsSettingsFromReferenceConf() {
    ConsistentHashingAllocationStrategy strategy =
        ConsistentHashingAllocationStrategy.fromConfig(
            ConfigFactory.defaultReference().getConfig("chorus"));
    assertEquals(200, strategy.virtualNodes());
    assertEquals(100, strategy.rebalanceLimit());
  }

  @Test
  void refusesToWorkBeforeTheCoordinatorStartsIt() {
    var strategy = new ConsistentHashingAllocationStrategy(200, 100);
    assertThrows(IllegalStateException.class, () -> allocate(strategy, "1", empty(local)));
  }
}
