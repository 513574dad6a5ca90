package dev.chorus.presence;

import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.ChorusNode;
import dev.chorus.testkit.TestNode;
import java.util.UUID;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.ddata.ORMultiMap;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.Test;

/**
 * What full-state gossip of one presence bucket costs: the serialized size of a bucket (the
 * unit Distributed Data sends when replicas' digests differ), printed per entry for the
 * figures in docs/architecture.md and reference.conf (chorus.presence.buckets), and held under
 * a bound so the key layout stays sound.
 */
class PresenceGossipSizeTest {
  /**
   * Measured: 50.0-50.2 bytes per entry for 100 entries, 46.9-47.3 for 1 000 and 10 000. The
   * bound leaves 40 % over the worst of those and fails a layout twice as large (~94 bytes).
   */
  static final double MAX_BYTES_PER_ENTRY = 70;

  @Test
  void aBucketCostsAboutFiftyBytesPerEntryOnTheWire() throws Exception {
    try (ChorusNode node = TestNode.start()) {
      SelfUniqueAddress self = DistributedData.get(node.system()).selfUniqueAddress();
      String nodeId = PresenceReplica.nodeId(self.uniqueAddress());
      var serialization = SerializationExtension.get(Adapter.toClassic(node.system()));
      for (int entries : new int[] {100, 1000, 10_000}) {
        ORMultiMap<String, String> bucket = ORMultiMap.emptyWithValueDeltas();
        for (int i = 0; i < entries; i++) {
          String ref = PresenceMeta.newRef();
          PresenceEntry e = new PresenceEntry(nodeId, ref, "anon-" + UUID.randomUUID(),
              PresenceMeta.render(ref, System.currentTimeMillis(), com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()));
          bucket = bucket.addBindingBy("room:r" + (i % 10), e.encode(), self);
        }
        bucket = bucket.resetDelta();
        byte[] bytes = serialization.serialize(bucket).get();
        double perEntry = (double) bytes.length / entries;
        System.out.printf("presence bucket of %d entries (10 topics): %d bytes serialized, %.1f bytes per entry%n",
            entries, bytes.length, perEntry);
        assertTrue(perEntry < MAX_BYTES_PER_ENTRY, "bytes per entry: " + perEntry + ", bound " + MAX_BYTES_PER_ENTRY);
      }
    }
  }
}
