package dev.chorus.presence;


import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.ChorusNode;
import dev.chorus.ops.Operations;
import dev.chorus.testkit.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.Test;

/**
 * The replica keeps every entry of a burst of tracks (and counts them), and forgets every
 * untracked one; tracks and untracks are written in batches, in the order they came.
 */
class PresenceReplicaTest {

  @Test
  void aBurstOfTracksLosesNothing() throws Exception {
    try (ChorusNode node = TestNode.start()) {
      ActorRef<PresenceReplica.Command> replica = Operations.get(Adapter.toClassic(node.system())).node().presence();
      int topics = 150, perTopic = 100;
      for (int i = 0; i < topics * perTopic; i++) {
        String ref = "ref" + i;
        replica.tell(new PresenceReplica.Track("room:r" + (i % topics),
            new PresenceEntry(nodeId(node), ref, "user" + i, "{\"phx_ref\":\"" + ref + "\"}")));
      }
      TestProbe<List<PresenceEntry>> probe = TestProbe.create(node.system());
      TestNode.await("every entry listed", Duration.ofSeconds(20), () -> {
        int total = 0;
        for (int t = 0; t < topics; t++) {
          replica.tell(new PresenceReplica.Get("room:r" + t, probe.ref()));
          total += probe.receiveMessage().size();
        }
        return total == topics * perTopic;
      });
      // chorus_presence_entries is counted at the flush after a change (presence.interval)
      var metrics = dev.chorus.metrics.Metrics.get(Adapter.toClassic(node.system()));
      TestNode.await("every entry counted", Duration.ofSeconds(5), () -> metrics.presenceEntries.get() == topics * perTopic);
    }
  }

  @Test
  void tracksAndUntracksOfOneBatchApplyInTheirOrder() throws Exception {
    try (ChorusNode node = TestNode.start()) {
      ActorRef<PresenceReplica.Command> replica = Operations.get(Adapter.toClassic(node.system())).node().presence();
      String topic = "room:batch";
      PresenceEntry stays = new PresenceEntry(nodeId(node), "a", "ann", "{\"phx_ref\":\"a\"}");
      PresenceEntry goes = new PresenceEntry(nodeId(node), "b", "bob", "{\"phx_ref\":\"b\"}");
      PresenceEntry back = new PresenceEntry(nodeId(node), "c", "cid", "{\"phx_ref\":\"c\"}");
      // within one write interval (100 ms): joined and left, left and joined again
      replica.tell(new PresenceReplica.Track(topic, stays));
      replica.tell(new PresenceReplica.Track(topic, goes));
      replica.tell(new PresenceReplica.Untrack(topic, goes));
      replica.tell(new PresenceReplica.Track(topic, back));
      replica.tell(new PresenceReplica.Untrack(topic, back));
      replica.tell(new PresenceReplica.Track(topic, back));
      // Awaited as a whole: the write interval's tick may fall between two of these (then the
      // first batch alone holds a and b), and what counts is where the data ends.
      TestProbe<List<PresenceEntry>> probe = TestProbe.create(node.system());
      List<List<String>> last = new ArrayList<>(List.of(List.of()));
      TestNode.await("a and c present, in that order", Duration.ofSeconds(10), Duration.ofMillis(20), () -> {
        replica.tell(new PresenceReplica.Get(topic, probe.ref()));
        last.set(0, probe.receiveMessage().stream().map(PresenceEntry::ref).toList());
        return last.get(0).equals(List.of("a", "c"));
      }, () -> "present: " + last.get(0));
    }
  }

  static String nodeId(ChorusNode node) {
    return PresenceReplica.nodeId(org.apache.pekko.cluster.typed.Cluster.get(node.system()).selfMember().uniqueAddress());
  }
}
