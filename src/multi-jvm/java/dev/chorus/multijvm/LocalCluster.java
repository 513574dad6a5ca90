package dev.chorus.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.testkit.FreePorts;
import dev.chorus.testkit.TestNode;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * A cluster of real Chorus JVMs on loopback, started from the fat jar on free ports; closing it
 * kills every node still running, so a failed test leaves nothing behind. Each node's log is kept
 * under target/multi-jvm/&lt;name&gt;/ and printed when an await fails.
 */
public final class LocalCluster implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  final List<NodeProcess> nodes = new ArrayList<>();
  private File dir;
  private List<String> seeds;
  private List<String> jvmOptions;

  /** Starts {@code n} nodes on loopback (nodes 1 and 2 are the seed nodes) and waits until all are Up. */
  static LocalCluster start(String name, int n, List<String> jvmOptions) throws Exception {
    return start(name, n, jvmOptions, i -> NodeProcess.Placement.LOOPBACK);
  }

  /** Starts {@code n} nodes, node i placed by {@code placement.apply(i)}, and waits until all are Up. */
  static LocalCluster start(String name, int n, List<String> jvmOptions, IntFunction<NodeProcess.Placement> placement)
      throws Exception {
    return start(name, n, jvmOptions, placement, i -> NodeProcess.Setup.NONE);
  }

  /**
   * Starts {@code n} nodes, node i placed by {@code placement.apply(i)} and given the options,
   * flags and environment of {@code setup.apply(i)}, and waits until all are Up.
   */
  static LocalCluster start(String name, int n, List<String> jvmOptions, IntFunction<NodeProcess.Placement> placement,
      IntFunction<NodeProcess.Setup> setup) throws Exception {
    LocalCluster cluster = new LocalCluster();
    try {
      File dir = new File("target/multi-jvm/" + name);
      dir.mkdirs();
      cluster.dir = dir;
      cluster.jvmOptions = List.copyOf(jvmOptions);
      int[] clusterPorts = new int[n];
      for (int i = 0; i < n; i++) clusterPorts[i] = freePort();
      List<String> seeds = new ArrayList<>();
      for (int i = 0; i < Math.min(2, n); i++) {
        seeds.add("pekko://chorus@" + placement.apply(i + 1).clusterHost() + ":" + clusterPorts[i]);
      }
      cluster.seeds = List.copyOf(seeds);
      for (int i = 0; i < n; i++) {
        NodeProcess node = new NodeProcess(i + 1, freePort(), clusterPorts[i], freePort(),
            new File(dir, "node-" + (i + 1) + ".log"), seeds, jvmOptions, placement.apply(i + 1), setup.apply(i + 1));
        cluster.nodes.add(node);
        node.start();
      }
      cluster.await("all " + n + " nodes Up and ready", Duration.ofSeconds(90),
          () -> cluster.nodes.stream().allMatch(x -> x.get("/ready").status() == 200 && cluster.upMembers(x) == n));
      return cluster;
    } catch (Throwable t) {
      cluster.close();
      throw t;
    }
  }

  /**
   * Starts one more node on loopback, with the cluster's seed nodes and JVM options and the given
   * setup, and does not wait for it: whether it joins is the caller's to check.
   */
  NodeProcess startAnother(NodeProcess.Setup setup) throws IOException {
    int index = nodes.size() + 1;
    NodeProcess node = new NodeProcess(index, freePort(), freePort(), freePort(), new File(dir, "node-" + index + ".log"),
        seeds, jvmOptions, NodeProcess.Placement.LOOPBACK, setup);
    nodes.add(node);
    node.start();
    return node;
  }

  NodeProcess node(int index) {
    return nodes.get(index - 1);
  }

  /** Members this node's /cluster/members lists as Up; -1 when it does not answer. */
  int upMembers(NodeProcess node) {
    JsonNode members = members(node);
    if (members == null) return -1;
    int up = 0;
    for (JsonNode m : members.path("members")) if ("Up".equals(m.path("status").asText())) up++;
    return up;
  }

  /** The /cluster/members answer of this node, or null. */
  JsonNode members(NodeProcess node) {
    NodeProcess.Response r = node.get("/cluster/members");
    if (r.status() != 200) return null;
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      return null;
    }
  }

  /** Polls until {@code condition} holds, else fails with the nodes' log tails. */
  void await(String what, Duration deadline, BooleanSupplier condition) throws InterruptedException {
    TestNode.await(what, deadline, Duration.ofMillis(200), condition, this::logTails);
  }

  String logTails() {
    StringBuilder b = new StringBuilder();
    for (NodeProcess n : nodes) {
      String log = n.logText();
      b.append("---- node ").append(n.index).append(" (").append(n.log).append(") ----\n")
          .append(log, Math.max(0, log.length() - 3000), log.length()).append('\n');
    }
    return b.toString();
  }

  static int freePort() throws IOException {
    return FreePorts.next();
  }

  @Override
  public void close() throws InterruptedException {
    for (NodeProcess n : nodes) if (n.alive()) n.kill();
  }
}
