package dev.chorus.ops;

import dev.chorus.metrics.ClusterMembers;
import dev.chorus.metrics.Metrics;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Feeds the membership gauges ({@code chorus_cluster_members{status}},
 * {@code chorus_cluster_unreachable_members}) from the cluster's snapshot, read when Prometheus
 * scrapes. No actor of our own: the snapshot is kept by Pekko's own subscriber of the cluster
 * events, so reading it costs a volatile read and a walk over the members, every 15 s or so, and
 * a gauge can never drift from the membership the way a count kept from events could after a
 * missed one. It may trail the events by a moment, which a scrape interval hides.
 */
public final class ClusterGauges {
  private ClusterGauges() {}

  /** From now on the node's gauges show {@code system}'s view of the cluster. */
  public static void feed(ActorSystem<?> system, Metrics metrics) {
    Cluster cluster = Cluster.get(system);
    metrics.clusterMembers(() -> census(cluster.state()));
  }

  static ClusterMembers census(CurrentClusterState state) {
    List<String> statuses = new ArrayList<>();
    for (Member m : state.getMembers()) statuses.add(m.status().toString());
    return ClusterMembers.count(statuses, state.getUnreachable().size());
  }
}
