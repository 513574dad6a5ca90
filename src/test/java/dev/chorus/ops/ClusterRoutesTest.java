package dev.chorus.ops;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import dev.chorus.testkit.TestNodeExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The cluster HTTP API on the management port: every route that changes the cluster (leave,
 * down, join, prepare-for-full-shutdown) and the event stream need the admin key; the reading
 * GETs stay open. Before, an unauthenticated {@code PUT /cluster/members/<node>} with
 * {@code operation=Down} downed the node.
 */
class ClusterRoutesTest {
  static final String KEY = "cluster-admin-key";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @RegisterExtension
  static final TestNodeExtension NODE = new TestNodeExtension("chorus.admin.key = \"" + KEY + "\"");

  /** A request of the cluster API: method, path, form body (null: none). */
  record Call(String method, String path, String form) {
    @Override
    public String toString() {
      return method + " " + path + (form == null ? "" : " " + form);
    }
  }

  static HttpResponse<String> send(ChorusNode node, Call call, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.managementUri() + call.path()))
        .timeout(Duration.ofSeconds(10))
        .method(call.method(), call.form() == null
            ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(call.form()));
    if (call.form() != null) b.header("Content-Type", "application/x-www-form-urlencoded");
    if (key != null) b.header("Authorization", "Bearer " + key);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(ChorusNode node, String path) throws Exception {
    return send(node, new Call("GET", path, null), null);
  }

  /** This node's address as the member routes take it: system@host:port. */
  static String self(ChorusNode node) throws Exception {
    JsonNode members = JSON.readTree(get(node, "/cluster/members").body());
    return members.path("selfNode").asText().replace("pekko://", "");
  }

  /** Every request that changes the cluster, aimed at this node itself. */
  static List<Call> changes(String self) {
    return List.of(
        new Call("PUT", "/cluster/members/" + self, "operation=Down"),
        new Call("PUT", "/cluster/members/" + self, "operation=Leave"),
        new Call("DELETE", "/cluster/members/" + self, null),
        new Call("POST", "/cluster/members", "address=pekko://chorus@127.0.0.1:1"),
        new Call("POST", "/cluster/members/", "address=pekko://chorus@127.0.0.1:1"),
        new Call("PUT", "/cluster", "operation=prepare-for-full-shutdown"),
        new Call("PUT", "/cluster/", "operation=prepare-for-full-shutdown"),
        new Call("GET", "/cluster/domain-events", null));
  }

  static void assertUpAndReady(ChorusNode node) throws Exception {
    HttpResponse<String> members = get(node, "/cluster/members");
    assertEquals(200, members.statusCode(), members.body());
    JsonNode m = JSON.readTree(members.body()).path("members");
    assertEquals(1, m.size(), members.body());
    assertEquals("Up", m.path(0).path("status").asText(), members.body());
    assertEquals(200, get(node, "/ready").statusCode());
  }

  @Test
  void anUnauthenticatedClientCannotDownLeaveJoinOrShutDownTheCluster() throws Exception {
    ChorusNode node = NODE.node();
    String self = self(node);
    long before = node.metrics().managementRefusedBy("unauthorized");
    int refused = 0;
    try (PhxClient witness = PhxClient.connect(NODE.port())) {
      witness.join("room:cluster-witness");
      for (Call call : changes(self)) {
        for (String key : new String[] {null, "wrong", KEY + "x", ""}) {
          HttpResponse<String> r = send(node, call, key);
          assertEquals(401, r.statusCode(), call + " with key " + key + ": " + r.body());
          assertEquals("Bearer", r.headers().firstValue("www-authenticate").orElse(""), call.toString());
          assertTrue(JSON.readTree(r.body()).path("error").asText().contains("key"), r.body());
          refused++;
        }
        witness.assertHeartbeatAnswered();
      }
      assertUpAndReady(node);
      witness.assertHeartbeatAnswered();
    }
    assertEquals(refused, node.metrics().managementRefusedBy("unauthorized") - before);
  }

  @Test
  void theReadingRoutesStayOpen() throws Exception {
    ChorusNode node = NODE.node();
    String self = self(node);
    assertUpAndReady(node);
    assertEquals(200, get(node, "/alive").statusCode());
    HttpResponse<String> one = get(node, "/cluster/members/" + self);
    assertEquals(200, one.statusCode(), one.body());
    assertEquals("Up", JSON.readTree(one.body()).path("status").asText());
    assertEquals(200, get(node, "/cluster/shards/room").statusCode());
    assertEquals(200, get(node, "/cluster/shards").statusCode());
    assertEquals(200, get(node, "/metrics").statusCode());
  }

  @Test
  void withTheKeyTheRoutesAnswerAsPekkosDo() throws Exception {
    ChorusNode node = NODE.node();
    String self = self(node);
    // Reaches Pekko's member route: a member it does not know is 404, an unknown operation 400.
    HttpResponse<String> down = send(node, new Call("PUT", "/cluster/members/chorus@127.0.0.1:1", "operation=Down"), KEY);
    assertEquals(404, down.statusCode(), down.body());
    assertTrue(down.body().contains("not found"), down.body());
    assertEquals(404, send(node, new Call("DELETE", "/cluster/members/chorus@127.0.0.1:1", null), KEY).statusCode());
    HttpResponse<String> bogus = send(node, new Call("PUT", "/cluster/members/" + self, "operation=Bogus"), KEY);
    assertEquals(400, bogus.statusCode(), bogus.body());
    assertTrue(bogus.body().contains("Operation not supported"), bogus.body());
    assertEquals(400, send(node, new Call("PUT", "/cluster", "operation=bogus"), KEY).statusCode());
    assertUpAndReady(node);
  }

  @Test
  void withoutAnAdminKeyConfiguredNobodyChangesTheCluster() throws Exception {
    try (ChorusNode node = TestNode.start()) {
      String self = self(node);
      for (Call call : changes(self)) {
        for (String key : new String[] {null, "anything"}) {
          HttpResponse<String> r = send(node, call, key);
          assertEquals(403, r.statusCode(), call + ": " + r.body());
          assertTrue(JSON.readTree(r.body()).path("error").asText().contains("chorus.admin.key"), r.body());
        }
      }
      assertUpAndReady(node);
      assertTrue(node.metrics().managementRefusedBy("disabled") >= 2L * changes(self).size());
    }
  }

  @Test
  void readOnlyTurnsTheChangesOffEvenWithTheKey() throws Exception {
    try (ChorusNode node = TestNode.start("chorus.admin.key = \"" + KEY + "\"\n"
        + "pekko.management.http.route-providers-read-only = on")) {
      String self = self(node);
      assertEquals(401, send(node, new Call("PUT", "/cluster/members/" + self, "operation=Down"), null).statusCode());
      HttpResponse<String> r = send(node, new Call("PUT", "/cluster/members/" + self, "operation=Down"), KEY);
      assertEquals(405, r.statusCode(), r.body());
      assertUpAndReady(node);
    }
  }

  @Test
  void withTheKeyANodeLeaves() throws Exception {
    ChorusNode node = TestNode.start("chorus.admin.key = \"" + KEY + "\"");
    try (PhxClient client = PhxClient.connect(node.httpAddress().getPort())) {
      HttpResponse<String> r = send(node, new Call("DELETE", "/cluster/members/" + self(node), null), KEY);
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(r.body().contains("Leaving"), r.body());
      // Removed from the cluster, the node closes its WebSockets (1012) and shuts down.
      PhxClient.Received close = client.awaitClose(Duration.ofSeconds(20));
      assertNotNull(close, "closed when the node left");
      assertEquals(1012, close.closeCode());
      node.whenTerminated().get(30, TimeUnit.SECONDS);
    } finally {
      node.close();
    }
  }
}
