package dev.chorus.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.testkit.PhxClient;
import java.io.IOException;

/** Where a room's entity lives, read from Pekko Management's {@code /cluster/shards/room}. */
final class Shards {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int NUMBER_OF_SHARDS = 1000; // pekko.cluster.sharding.number-of-shards

  private Shards() {}

  /** Pekko's default shard of an entity id: its hash code modulo the number of shards. */
  static String shardOf(String topic) {
    return String.valueOf(Math.abs(topic.hashCode() % NUMBER_OF_SHARDS));
  }

  /**
   * A topic named {@code prefix + i} whose room entity lives on {@code node} ({@code onNode}) or
   * elsewhere: {@code member} joins candidates (which starts their entities on their shards'
   * nodes) until one fits, and stays joined to it.
   */
  static String topicWithEntity(String prefix, NodeProcess node, boolean onNode, PhxClient member) throws IOException {
    for (int i = 0; ; i++) {
      String candidate = prefix + i;
      member.join(candidate);
      if (hosts(node, candidate) == onNode) return candidate;
    }
  }

  /** Whether this node's region hosts the shard of {@code topic} (with the entity started). */
  static boolean hosts(NodeProcess node, String topic) throws IOException {
    NodeProcess.Response r = node.get("/cluster/shards/room");
    if (r.status() != 200) throw new IOException("node " + node.index + " /cluster/shards/room: " + r);
    JsonNode regions = JSON.readTree(r.body()).path("regions");
    for (JsonNode region : regions) {
      if (shardOf(topic).equals(region.path("shardId").asText())) return true;
    }
    return false;
  }
}
