package dev.chorus.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Server-side subscriptions over HTTP and real WebSockets: POST /api/subscribe makes every
 * connection of a user join a topic (not another user's, not a connection opened later), a
 * publish then reaches them; /api/unsubscribe ends it; a client's own join of the topic replaces
 * the backend's (one copy of each message) and stays after an unsubscribe.
 */
class ServerSubscriptionTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String KEY = "backend-key";
  static final Duration WAIT = Duration.ofSeconds(10);

  @RegisterExtension
  static final TestNodeExtension NODE = new TestNodeExtension("chorus.api.key = \"" + KEY + "\"");

  static HttpResponse<String> call(String path, String body, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(NODE.node().managementUri().resolve(path))
        .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
    if (key != null) b.header("Authorization", "Bearer " + key);
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode ok(String path, String body) throws Exception {
    HttpResponse<String> r = call(path, body, KEY);
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  static JsonNode subscribe(String user, String topic) throws Exception {
    return ok("/api/subscribe", "{\"user\":\"" + user + "\",\"topic\":\"" + topic + "\"}");
  }

  static JsonNode unsubscribe(String user, String topic) throws Exception {
    return ok("/api/unsubscribe", "{\"user\":\"" + user + "\",\"topic\":\"" + topic + "\"}");
  }

  static void publish(String topic, String event) throws Exception {
    ok("/api/publish", "{\"topic\":\"" + topic + "\",\"event\":\"" + event + "\",\"payload\":{}}");
  }

  static PhxClient connect(String user) throws Exception {
    return PhxClient.connect(NODE.port(), PhxClient.VSN + "&user=" + user).named(user);
  }

  /** The room's ok to the backend's join, under the session's own join_ref (srv:n). */
  static Predicate<JsonNode> serverJoinAdmitted(String topic) {
    return f -> PhxClient.isReply(f) && topic.equals(f.get(2).asText()) && f.get(0).asText().startsWith("srv:")
        && f.get(1).isNull() && "ok".equals(PhxClient.status(f));
  }

  static Predicate<JsonNode> event(String topic, String event) {
    return f -> topic.equals(f.get(2).asText()) && event.equals(f.get(3).asText());
  }

  /**
   * Everything the node queued for {@code c} before now has been read: a push of its own to a
   * topic of its own comes back after it (one queue per connection, in order).
   */
  static void drained(PhxClient c) throws Exception {
    String topic = "room:own-" + c.name() + "-" + System.nanoTime();
    c.join(topic);
    c.pushOk(topic, "mark", "{}");
    c.broadcasts(topic, 1, WAIT);
  }

  @Test
  void aSubscribedUsersConnectionsGetTheTopicsMessagesAndNoOneElse() throws Exception {
    String topic = "room:srv-1";
    try (PhxClient a1 = connect("alice"); PhxClient a2 = connect("alice"); PhxClient bob = connect("bob")) {
      JsonNode answer = subscribe("alice", topic);
      assertEquals(2, answer.path("connections").asInt(), answer.toString());
      assertEquals(1, answer.path("nodes").asInt(), answer.toString());
      assertEquals(answer.path("asked").asInt(), answer.path("answered").asInt(), answer.toString());
      a1.expect("the server join's ok", serverJoinAdmitted(topic), WAIT);
      a2.expect("the server join's ok", serverJoinAdmitted(topic), WAIT);
      // subscribing again changes nothing: one membership per connection
      assertEquals(2, subscribe("alice", topic).path("connections").asInt());

      publish(topic, "hello");
      assertEquals("hello", a1.broadcasts(topic, 1, WAIT).get(0).get(3).asText());
      assertEquals("hello", a2.broadcasts(topic, 1, WAIT).get(0).get(3).asText());
      drained(a1);
      assertEquals(0, a1.count(event(topic, "hello")), "one copy: " + a1.buffered());
      drained(bob);
      assertEquals(0, bob.count(event(topic, "hello")), "bob is not subscribed: " + bob.buffered());

      // a connection opened later is not subscribed
      try (PhxClient a3 = connect("alice")) {
        publish(topic, "later");
        a1.broadcasts(topic, 1, WAIT);
        drained(a3);
        assertEquals(0, a3.count(event(topic, "later")), a3.buffered().toString());
      }

      // the subscription receives; the client cannot push through it
      a1.send(null, "p1", topic, "msg", "{}");
      assertEquals("unmatched topic", PhxClient.reason(a1.reply("p1")));

      JsonNode off = unsubscribe("alice", topic);
      assertEquals(2, off.path("connections").asInt(), off.toString());
      a1.expect("phx_close of the server join", f -> event(topic, "phx_close").test(f) && f.get(0).asText().startsWith("srv:"), WAIT);
      a2.expect("phx_close of the server join", f -> event(topic, "phx_close").test(f) && f.get(0).asText().startsWith("srv:"), WAIT);
      publish(topic, "gone");
      drained(a1);
      drained(a2);
      assertEquals(0, a1.count(event(topic, "gone")) + a2.count(event(topic, "gone")));
    }
  }

  @Test
  void theClientsOwnJoinReplacesTheServerSideOneAndOutlivesUnsubscribe() throws Exception {
    String topic = "room:srv-2";
    try (PhxClient carol = connect("carol")) {
      subscribe("carol", topic);
      carol.expect("the server join's ok", serverJoinAdmitted(topic), WAIT);
      carol.join(topic); // phoenix.js joins the channel it listened on
      publish(topic, "once");
      assertEquals(1, carol.broadcasts(topic, 1, WAIT).size());
      drained(carol);
      assertEquals(0, carol.count(event(topic, "once")), "a single copy: " + carol.buffered());

      // the backend's unsubscribe leaves the client's own join alone
      assertEquals(1, unsubscribe("carol", topic).path("connections").asInt());
      publish(topic, "still");
      assertEquals("still", carol.broadcasts(topic, 1, WAIT).get(0).get(3).asText());
      // and a subscribe of a topic the client joined itself adds nothing
      subscribe("carol", topic);
      publish(topic, "single");
      assertEquals(1, carol.broadcasts(topic, 1, WAIT).size());
      drained(carol);
      assertEquals(0, carol.count(event(topic, "single")), carol.buffered().toString());
    }
  }

  /** phoenix.js's channel.leave() of a channel it never joined sends phx_leave with join_ref null. */
  @Test
  void aLeaveWithoutJoinRefEndsTheServerSideSubscription() throws Exception {
    String topic = "room:srv-4";
    try (PhxClient dan = connect("dan")) {
      subscribe("dan", topic);
      dan.expect("the server join's ok", serverJoinAdmitted(topic), WAIT);
      dan.send(null, "l1", topic, "phx_leave", "{}");
      JsonNode reply = dan.reply("l1");
      assertEquals("ok", PhxClient.status(reply), reply.toString());
      assertTrue(reply.get(0).isNull(), "answered under the leave's own join_ref: " + reply);
      dan.expect("phx_close of the server join", f -> event(topic, "phx_close").test(f), WAIT);
      publish(topic, "after-leave");
      drained(dan);
      assertEquals(0, dan.count(event(topic, "after-leave")), dan.buffered().toString());
    }
  }

  @Test
  void aUserWithoutConnectionsIsNoError() throws Exception {
    JsonNode answer = subscribe("nobody", "room:srv-3");
    assertEquals(0, answer.path("connections").asInt());
    assertEquals(0, answer.path("nodes").asInt());
  }

  @Test
  void badRequestsAreRefusedClearly() throws Exception {
    assertEquals(400, call("/api/subscribe", "{\"user\":\"a\"}", KEY).statusCode());
    assertEquals(400, call("/api/subscribe", "{\"topic\":\"room:x\"}", KEY).statusCode());
    assertEquals(400, call("/api/subscribe", "not json", KEY).statusCode());
    assertEquals(400, call("/api/unsubscribe", "{\"user\":\"a\",\"topic\":\"nocolon\"}", KEY).statusCode());
    assertEquals(404, call("/api/subscribe", "{\"user\":\"a\",\"topic\":\"nowhere:x\"}", KEY).statusCode());
    assertEquals(401, call("/api/subscribe", "{\"user\":\"a\",\"topic\":\"room:x\"}", null).statusCode());
  }
}
