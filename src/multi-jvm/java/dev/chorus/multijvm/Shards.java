package dev.chorus.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
