package dev.chorus.placement;

import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterActorRefProvider;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The cluster's members that serve clients and hold rooms: Up, WeaklyUp, or Leaving (a draining
 * node serves until it goes). A joining member does not serve yet; an exiting, downed or removed
 * one no longer does.
 */
public final class ServingMembers {
  private ServingMembers() {}

  public static boolean serves(MemberStatus status) {
    return status == MemberStatus.up() || status == MemberStatus.weaklyUp() || status == MemberStatus.leaving();
  }

  /**
   * Their addresses, as this node's view of the cluster has them now, in its order; none for an
   * actor system that is no cluster node (tests of actors alone).
   */
  public static Set<Address> of(ActorSystem<?> system) {
    Set<Address> out = new LinkedHashSet<>();
    if (!ClusterActorRefProvider.class.getName().equals(system.settings().classicSettings().ProviderClass())) return out;
    for (Member m : Cluster.get(system).state().getMembers()) {
      if (serves(m.status())) out.add(m.address());
    }
    return out;
  }

  /** The address of the node {@code ref} lives on (a local reference's path has no host: this node). */
  public static Address nodeOf(ActorSystem<?> system, ActorRef<?> ref) {
    Address address = ref.path().address();
    return address.hasGlobalScope() ? address : system.address();
  }
}
