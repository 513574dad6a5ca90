package dev.chorus.metrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster as one node sees it, for the gauges {@code chorus_cluster_members{status}} and
 * {@code chorus_cluster_unreachable_members}: its members counted by status, and how many of
 * them are unreachable. Pure: the node hands in the status names of its membership snapshot
 * (ops.ClusterGauges), so this package needs no cluster.
 *
 * @param byStatus members per status label, every label of {@link #STATUSES} present (0 when none)
 * @param unreachable members marked unreachable (by any observer, as this node's gossip has it)
 */
public record ClusterMembers(Map<String, Integer> byStatus, int unreachable) {
  /**
   * Pekko's member statuses as labels, listed from the start so that each series exists (at 0)
   * before its first member: an alert on {@code status="down"} needs the series to compare.
   * Removed members leave the membership, so {@code removed} stays 0; it is here because the
   * status exists and the label set is the contract.
   */
  public static final List<String> STATUSES = List.of(
      "joining", "weakly_up", "up", "leaving", "exiting", "down", "removed",
      "preparing_for_shutdown", "ready_for_shutdown");

  /** A node not in a cluster yet: no members. */
  public static final ClusterMembers NONE = count(List.of(), 0);

  public ClusterMembers {
    byStatus = Map.copyOf(byStatus);
  }

  /** Counts {@code statuses} (Pekko's names: "Up", "WeaklyUp", ...), one per member. */
  public static ClusterMembers count(Iterable<String> statuses, int unreachable) {
    Map<String, Integer> by = new LinkedHashMap<>();
    for (String s : STATUSES) by.put(s, 0);
    for (String status : statuses) by.merge(label(status), 1, Integer::sum);
    return new ClusterMembers(by, unreachable);
  }

  /** "WeaklyUp" is weakly_up: Pekko's status name in snake case, as Prometheus labels go. */
  static String label(String status) {
    StringBuilder b = new StringBuilder(status.length() + 4);
    for (int i = 0; i < status.length(); i++) {
      char c = status.charAt(i);
      if (Character.isUpperCase(c)) {
        if (i > 0) b.append('_');
        b.append(Character.toLowerCase(c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  public int members(String statusLabel) {
    return byStatus.getOrDefault(statusLabel, 0);
  }
}
