package dev.chorus.multijvm;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * LongPoll without sticky sessions, on two JVMs: a session opened on one node is polled and
 * posted to through the other (forwarded over the cluster); phoenix.js over LongPoll, its
 * requests alternating between the nodes through a round-robin proxy, joins, pushes and
 * receives broadcasts with a WebSocket client on the other node (src/test/js/longpoll.mjs in
 * its two-node mode); and a session on a node that is killed is gone (410) through the other.
 */
class LongPollMultiJvmIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final List<String> OPTIONS = List.of(
      "-Dchorus.longpoll.window=2s", "-Dchorus.longpoll.idle-timeout=6s", "-Dchorus.longpoll.forward-timeout=5s");

  static JsonNode get(int port, String token) throws Exception {
    String url = "http://127.0.0.1:" + port + "/socket/longpoll?vsn=2.0.0"
        + (token == null ? "" : "&token=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }

  @Test
  void longPollRequestsMayReachAnyNode() throws Exception {
    try (LocalCluster cluster = LocalCluster.start("longpoll", 2, OPTIONS)) {
      int port1 = cluster.node(1).wsPort, port2 = cluster.node(2).wsPort;
      // A session of node 1, polled through node 2: forwarded (once node 2's receptionist lists node 1's router).
      String token = get(port1, null).get("token").asText();
      cluster.await("a poll of node 1's session through node 2 is forwarded", Duration.ofSeconds(30),
          () -> {
            try {
              return get(port2, token).get("status").asInt() == 204;
            } catch (Exception e) {
              return false;
            }
          });
      String token2 = get(port2, null).get("token").asText();
      cluster.await("and the other way", Duration.ofSeconds(30), () -> {
        try {
          return get(port1, token2).get("status").asInt() == 204;
        } catch (Exception e) {
          return false;
        }
      });

      ProcessBuilder pb = new ProcessBuilder("node", "longpoll.mjs").directory(new File("src/test/js")).redirectErrorStream(true);
      pb.environment().put("CHORUS_URL", "ws://127.0.0.1:" + port1 + "/socket");
      pb.environment().put("CHORUS_URL_2", "ws://127.0.0.1:" + port2 + "/socket");
      Process script = pb.start();
      try {
        boolean ended = script.waitFor(120, TimeUnit.SECONDS);
        String output = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.println(output);
        assertTrue(ended, "longpoll.mjs did not end:\n" + output + cluster.logTails());
        assertEquals(0, script.exitValue(), output + cluster.logTails());
        assertTrue(output.contains("1 passed, 0 failed"), output);
      } finally {
        script.destroyForcibly();
      }

      // A session of a node that is gone: 410 through the survivor, and the client reconnects. Of
      // two nodes, the Split Brain Resolver (keep-majority, a tie) keeps the one with the lowest
      // address: the other is the one killed, so that the survivor stays.
      NodeProcess survivor = cluster.node(1).clusterPort < cluster.node(2).clusterPort ? cluster.node(1) : cluster.node(2);
      NodeProcess killed = survivor == cluster.node(1) ? cluster.node(2) : cluster.node(1);
      String doomed = get(killed.wsPort, null).get("token").asText();
      killed.kill();
      cluster.await("a poll of the killed node's session is gone (410)", Duration.ofSeconds(60), () -> {
        try {
          return get(survivor.wsPort, doomed).get("status").asInt() == 410;
        } catch (Exception e) {
          return false;
        }
      });
      String own = get(survivor.wsPort, null).get("token").asText();
      assertEquals(204, get(survivor.wsPort, own).get("status").asInt(), "the survivor serves its own");
    }
  }
}
