package dev.chorus.ops;

import dev.chorus.room.LocalRooms;
import dev.chorus.room.RoomEntity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The JSON bodies of the admin API's cluster-wide answers, made from the nodes' answers: pure,
 * so that their shapes (which the dashboard reads) are tested without a cluster. A node that
 * did not answer in time counts in {@code asked} and not in {@code answered}.
 */
public final class AdminViews {
  private AdminViews() {}

  /** A member of the cluster as this node sees it. */
  public record Member(String address, String status, boolean reachable, List<String> roles, boolean leader, boolean oldest) {}

  /** GET /admin/nodes: every member, with its own stats or null. */
  public static Map<String, Object> nodes(String self, List<Member> members, List<EveryNode.Answer<NodeStatus.Stats>> answers) {
    Map<String, NodeStats> stats = new TreeMap<>();
    for (EveryNode.Answer<NodeStatus.Stats> a : answers) a.answer().ifPresent(s -> stats.put(s.node(), s.stats()));
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Member m : members) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("address", m.address());
      row.put("status", m.status());
      row.put("reachable", m.reachable());
      row.put("roles", m.roles());
      row.put("leader", m.leader());
      row.put("oldest", m.oldest());
      NodeStats s = stats.get(m.address());
      row.put("stats", s == null ? null : s.json());
      rows.add(row);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("self", self);
    out.put("nodes", rows);
    out.put("asked", answers.size());
    out.put("answered", stats.size());
    return out;
  }

  /** The {@code history} event of GET /admin/stream: each answering node's kept samples, oldest first. */
  public static Map<String, Object> history(Duration interval, List<EveryNode.Answer<NodeStatus.Samples>> answers) {
    Map<String, Object> nodes = new TreeMap<>();
    for (EveryNode.Answer<NodeStatus.Samples> a : answers) {
      a.answer().ifPresent(s -> nodes.put(s.node(), s.samples().stream().map(Sample::json).toList()));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("interval_ms", interval.toMillis());
    out.put("nodes", nodes);
    return out;
  }

  /** A {@code sample} event of GET /admin/stream: each node's latest sample, null where none came in time. */
  public static Map<String, Object> sample(long t, List<EveryNode.Answer<NodeStatus.Latest>> answers) {
    Map<String, Object> nodes = new TreeMap<>();
    for (EveryNode.Answer<NodeStatus.Latest> a : answers) {
      Sample s = a.answer().map(NodeStatus.Latest::sample).orElse(null);
      nodes.put(a.node(), s == null ? null : s.json());
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("t", t);
    out.put("nodes", nodes);
    return out;
  }

  /** GET /admin/topics/{topic}: the entity's answer (empty: none in time) and each node's members of the topic. */
  public static Map<String, Object> topic(
      String topic, Optional<RoomEntity.Inspection> entity, List<Optional<LocalRooms.TopicMembers>> answers) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("topic", topic);
    out.put("entity", entity.map(e -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("node", e.node());
      m.put("epoch", e.at().epoch());
      m.put("seq", e.at().seq());
      m.put("members", e.members());
      m.put("history_messages", e.historyMessages());
      m.put("history_bytes", e.historyBytes());
      return m;
    }).orElse(null));
    List<Map<String, Object>> nodes = answers.stream()
        .flatMap(Optional::stream)
        .filter(a -> a.members() > 0)
        .sorted(Comparator.comparing(LocalRooms.TopicMembers::node))
        .map(a -> {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("node", a.node());
          m.put("members", a.members());
          return m;
        })
        .toList();
    out.put("nodes", nodes);
    out.put("asked", answers.size());
    out.put("answered", (int) answers.stream().filter(Optional::isPresent).count());
    return out;
  }

  /** GET /admin/users/{user}: the nodes where the user has connections, and those. */
  public static Map<String, Object> user(String user, List<Optional<UserLookup.Found>> answers) {
    List<Map<String, Object>> nodes = new ArrayList<>();
    int connections = 0;
    List<UserLookup.Found> found = answers.stream()
        .flatMap(Optional::stream)
        .filter(f -> !f.connections().isEmpty())
        .sorted(Comparator.comparing(UserLookup.Found::node))
        .toList();
    for (UserLookup.Found f : found) {
      List<Map<String, Object>> conns = new ArrayList<>();
      for (UserLookup.Connection c : f.connections()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("conn_id", c.connId());
        m.put("transport", c.transport());
        m.put("topics", c.topics());
        m.put("connected_seconds", c.connectedSeconds());
        conns.add(m);
      }
      connections += conns.size();
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("node", f.node());
      node.put("connections", conns);
      nodes.add(node);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("user", user);
    out.put("nodes", nodes);
    out.put("connections", connections);
    out.put("asked", answers.size());
    out.put("answered", (int) answers.stream().filter(Optional::isPresent).count());
    return out;
  }
}
