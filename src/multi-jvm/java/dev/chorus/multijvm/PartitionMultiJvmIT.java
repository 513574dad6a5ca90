package dev.chorus.multijvm;

import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.testkit.PhxClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A 3-node cluster split 2 | 1 by cutting node 3's network link (node 3 runs in its own network
 * namespace): the Split Brain Resolver (keep-majority) keeps nodes 1 and 2, node 3 downs itself,
 * closes its clients with 1012 and exits; the majority goes on serving. Skipped, saying why,
 * where network namespaces cannot be made (not root).
 */
class PartitionMultiJvmIT {

  @Test
  void theMinorityIsDownedAndItsClientsClosed() throws Exception {
    NetworkNamespace ns;
    try {
      ns = NetworkNamespace.create("chorus-it-n3");
    } catch (IOException e) {
      Assumptions.abort("network namespaces cannot be made here, so no partition test: " + e.getMessage());
      return;
    }
    try (ns) {
      NodeProcess.Placement outside = new NodeProcess.Placement(List.of(), "127.0.0.1", ns.clusterHostOutside, "127.0.0.1");
      NodeProcess.Placement inside = new NodeProcess.Placement(ns.prefix(), ns.clientHostInside, ns.clusterHostInside, ns.clientHostInside);
      try (LocalCluster cluster = LocalCluster.start("partition", 3, List.of(), i -> i == 3 ? inside : outside)) {
        NodeProcess node1 = cluster.node(1), node2 = cluster.node(2), node3 = cluster.node(3);
        List<PhxClient> minorityClients = new ArrayList<>();
        try (PhxClient subscriber = node2.client(); PhxClient publisher = node1.client()) {
          subscriber.join("room:split");
          publisher.join("room:split");
          for (int i = 0; i < 10; i++) {
            PhxClient s = node3.client(); // on node 3's side of the cut
            minorityClients.add(s);
            s.join("room:split");
          }

          long cut = System.nanoTime();
          ns.partition();
          for (PhxClient s : minorityClients) {
            PhxClient.Received close = s.awaitClose(Duration.ofSeconds(40));
            assertNotNull(close, "a close frame from the downed node");
            assertEquals(1012, close.closeCode());
          }
          long closedMs = (System.nanoTime() - cut) / 1_000_000;
          assertTrue(node3.awaitExit(Duration.ofSeconds(30)), "the downed node exits\n" + cluster.logTails());
          cluster.await("nodes 1 and 2 keep the cluster without node 3", Duration.ofSeconds(30), () ->
              List.of(node1, node2).stream().allMatch(n -> cluster.upMembers(n) == 2
                  && !cluster.members(n).toString().contains(node3.address())));
          System.out.printf("partition: node 3 closed its clients %d ms after the cut and exited%n", closedMs);

          publisher.push("room:split", "msg", "{\"after\":\"split\"}");
          assertEquals("split", subscriber.broadcasts("room:split", 1, Duration.ofSeconds(30)).get(0).path(4).path("after").asText(),
              "the majority serves the room");
        } finally {
          for (PhxClient s : minorityClients) s.close();
        }
      }
    }
  }
}
