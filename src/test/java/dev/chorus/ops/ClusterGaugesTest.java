package dev.chorus.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chorus.ChorusNode;
import dev.chorus.metrics.ClusterMembers;
import dev.chorus.testkit.TestNode;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.Test;

/**
 * A real node's /metrics shows the cluster as the node sees it (a cluster of one: one Up member,
 * none unreachable, every other status at 0) and whether it drains. The multi-JVM
 * ClusterMultiJvmIT checks that a survivor counts a killed node unreachable until it is downed.
 */
class ClusterGaugesTest {

  @Test
  void aNodeAloneSeesOneUpMemberAndNoneUnreachable() throws Exception {
    try (ChorusNode node = TestNode.start()) {
      TestNode.await("the node Up in its own cluster, on /metrics", Duration.ofSeconds(15),
          () -> scrape(node).getOrDefault("chorus_cluster_members{status=\"up\"}", -1.0) == 1);
      Map<String, Double> m = scrape(node);
      for (String status : ClusterMembers.STATUSES) {
        if (!status.equals("up")) assertEquals(0, m.get("chorus_cluster_members{status=\"" + status + "\"}"), status);
      }
      assertEquals(0, m.get("chorus_cluster_unreachable_members"));
      assertEquals(0, m.get("chorus_draining"));
    }
  }

  @Test
  void drainingShowsOnceTheNodeStopsAccepting() throws Exception {
    try (ChorusNode node = TestNode.start()) {
      assertEquals(0, scrape(node).get("chorus_draining"));
      // The flag a drain sets first (Drainer, POST /admin/drain, SIGTERM), without the rest of
      // the drain, which would stop the node before it is scraped.
      Operations.get(Adapter.toClassic(node.system())).node().connections().stopAccepting();
      assertEquals(1, scrape(node).get("chorus_draining"));
    }
  }

  private static Map<String, Double> scrape(ChorusNode node) {
    try {
      return MetricsEndpointTest.scrape(node);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
