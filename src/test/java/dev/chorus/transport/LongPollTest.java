package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * /socket/longpoll over plain HTTP against a real node, beside WebSocket clients in the same
 * rooms: sessions, polls, pushes and broadcasts both ways, and every bound and refusal.
 */
class LongPollTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String SHORT = "chorus.longpoll { window = 500 ms, idle-timeout = 1500 ms, forward-timeout = 5 s }\n";
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** A LongPoll client as phoenix.js's: the token after the first 410, the params in the query. */
  static final class Poller {
    final String base;
    String token;
    final List<JsonNode> received = new ArrayList<>();

    Poller(ChorusNode node, String query) {
      this.base = "http://127.0.0.1:" + node.httpAddress().getPort() + "/socket/longpoll?" + query;
    }

    String url() {
      return token == null ? base : base + "&token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
    }

    /** Opens the session: 410 with its token. */
    Poller open() throws Exception {
      HttpResponse<String> r = get();
      JsonNode json = JSON.readTree(r.body());
      assertEquals(200, r.statusCode(), r.body());
      assertEquals(410, json.get("status").asInt(), r.body());
      token = json.get("token").asText();
      return this;
    }

    HttpResponse<String> get() throws Exception {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url())).timeout(Duration.ofSeconds(20)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
    }

    CompletableFuture<HttpResponse<String>> getAsync() {
      return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(url())).timeout(Duration.ofSeconds(20)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
    }

    JsonNode poll() throws Exception {
      HttpResponse<String> r = get();
      assertEquals(200, r.statusCode(), r.body());
      JsonNode json = JSON.readTree(r.body());
      if (json.has("messages")) for (JsonNode m : json.get("messages")) received.add(JSON.readTree(m.asText()));
      return json;
    }

    HttpResponse<String> post(String body) throws Exception {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url())).timeout(Duration.ofSeconds(20))
          .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
    }

    /** Polls until a frame matching {@code event} on {@code topic} (or a reply to {@code ref}) has come. */
    JsonNode await(String what, java.util.function.Predicate<JsonNode> p) throws Exception {
      long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (System.nanoTime() < end) {
        for (JsonNode f : received) if (p.test(f)) {
          received.remove(f);
          return f;
        }
        poll();
      }
      throw new AssertionError("no " + what + " in " + received);
    }

    JsonNode reply(String ref) throws Exception {
      return await("reply " + ref, f -> "phx_reply".equals(f.get(3).asText()) && ref.equals(f.get(1).asText()));
    }
  }

  static int status(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body()).get("status").asInt();
  }

  @Test
  void aNewSessionIs410WithATokenAndAnEmptyPollIs204AfterTheWindow() throws Exception {
    try (ChorusNode node = TestNode.start(SHORT)) {
      Poller p = new Poller(node, PhxClient.VSN).open();
      assertTrue(p.token.startsWith("v1."), p.token);
      assertEquals(1, node.metrics().longPollSessions());
      long start = System.nanoTime();
      JsonNode json = p.poll();
      assertEquals(204, json.get("status").asInt());
      assertEquals(p.token, json.get("token").asText());
      assertTrue(System.nanoTime() - start >= Duration.ofMillis(400).toNanos(), "waited for the window");
    }
  }

  @Test
  void aLongPollClientAndAWebSocketClientTalkInOneRoom() throws Exception {
    try (ChorusNode node = TestNode.start(SHORT); PhxClient ws = PhxClient.connect(node.httpAddress().getPort())) {
      ws.join("room:lp");
      Poller p = new Poller(node, PhxClient.VSN + "&user=ada").open();
      assertEquals(200, status(p.post("[\"1\",\"1\",\"room:lp\",\"phx_join\",{}]")));
      assertEquals("ok", p.reply("1").get(4).get("status").asText());
      // LongPoll → WebSocket (and back to the pusher, as every broadcast)
      assertEquals(200, status(p.post("[\"1\",\"2\",\"room:lp\",\"msg\",{\"body\":\"from lp\"}]\n"
          + "[null,\"3\",\"phoenix\",\"heartbeat\",{}]")));
      assertEquals("ok", p.reply("2").get(4).get("status").asText());
      assertEquals("ok", p.reply("3").get(4).get("status").asText(), "a heartbeat is answered like on a WebSocket");
      ws.expect("the LongPoll client's message", f -> "msg".equals(f.get(3).asText())
          && "from lp".equals(f.get(4).get("body").asText()));
      // WebSocket → LongPoll
      ws.push("room:lp", "msg", "{\"body\":\"from ws\"}");
      JsonNode b = p.await("the WebSocket client's message", f -> "msg".equals(f.get(3).asText())
          && "from ws".equals(f.get(4).get("body").asText()));
      assertTrue(b.get(1).asText().contains(":"), "a broadcast carries its position: " + b);
      // a waiting poll is answered as soon as a message comes
      CompletableFuture<HttpResponse<String>> waiting = p.getAsync();
      Thread.sleep(100); // most likely the poll waits when the push comes (the path this checks); if not, it finds it queued
      ws.push("room:lp", "msg", "{\"body\":\"wake\"}");
      JsonNode woken = JSON.readTree(waiting.get().body());
      assertEquals(200, woken.get("status").asInt(), woken.toString());
      assertTrue(woken.toString().contains("wake"), woken.toString());
      // leave
      assertEquals(200, status(p.post("[\"1\",\"4\",\"room:lp\",\"phx_leave\",{}]")));
      assertEquals("ok", p.reply("4").get(4).get("status").asText());
    }
  }

  @Test
  void aSecondPollAnswersTheFirst204() throws Exception {
    try (ChorusNode node = TestNode.start("chorus.longpoll { window = 5 s, idle-timeout = 8 s }")) {
      Poller p = new Poller(node, PhxClient.VSN).open();
      long start = System.nanoTime();
      CompletableFuture<HttpResponse<String>> a = p.getAsync(), b = p.getAsync();
      // Whichever reaches the session second answers the other at once and waits in its place.
      CompletableFuture.anyOf(a, b).get();
      assertTrue(System.nanoTime() - start < Duration.ofSeconds(4).toNanos(), "one was answered before the window");
      CompletableFuture<HttpResponse<String>> earlier = a.isDone() ? a : b, later = a.isDone() ? b : a;
      assertEquals(204, status(earlier.get()));
      assertFalse(later.isDone(), "the other waits for the window");
      assertEquals(204, status(later.get()));
    }
  }

  @Test
  void postedFramesHaveTheWebSocketsInboundRate() throws Exception {
    // a burst of 2 that does not refill during the test; a flood closes after 1 s without a 5 s pause
    try (ChorusNode node = TestNode.start(SHORT
        + "chorus.connection { inbound-rate = 0.01, inbound-burst = 2, flood-duration = 1 s, flood-pause = 5 s }")) {
      Poller p = new Poller(node, PhxClient.VSN).open();
      assertEquals(200, status(p.post(heartbeats(1, 4))));
      assertEquals("ok", p.reply("1").get(4).get("status").asText());
      assertEquals("ok", p.reply("2").get(4).get("status").asText());
      assertEquals("rate limited", p.reply("3").get(4).get("response").get("reason").asText());
      assertEquals("rate limited", p.reply("4").get(4).get("response").get("reason").asText());
      // going on over the rate for the flood duration closes the session (4003); its next poll finds it gone.
      // The client polls between its posts, as phoenix.js always does: a session whose client
      // stopped polling would end at the idle timeout (1.5 s here) instead, for another reason.
      int[] ref = {5};
      TestNode.await("the flooding session closed", Duration.ofSeconds(10), Duration.ofMillis(200), () -> {
        try {
          p.post(heartbeats(ref[0], ref[0]++));
          p.get(); // the "rate limited" replies, queued; or 410 once closed
        } catch (Exception e) {
          throw new AssertionError(e);
        }
        return node.metrics().closedBy("rate_limited") == 1;
      }, () -> "");
      assertEquals(410, status(p.get()));
      assertEquals(0, node.metrics().closedBy("idle_timeout"), "closed by the flood, not by silence");
    }
  }

  /** Heartbeats with refs from..to, one per line. */
  static String heartbeats(int from, int to) {
    StringBuilder body = new StringBuilder();
    for (int i = from; i <= to; i++) body.append(i > from ? "\n" : "").append("[null,\"").append(i).append("\",\"phoenix\",\"heartbeat\",{}]");
    return body.toString();
  }

  @Test
  void unknownAndForgedSessionsAreGone() throws Exception {
    try (ChorusNode node = TestNode.start(SHORT)) {
      Poller real = new Poller(node, PhxClient.VSN).open();
      String[] parts = real.token.split("\\.");
      Poller forged = new Poller(node, PhxClient.VSN);
      forged.token = parts[0] + "." + parts[1] + "." + parts[2] + "." + "AAAA" + parts[3].substring(4);
      assertEquals(410, status(forged.get()));
      assertFalse(JSON.readTree(forged.get().body()).has("token"), "no new session for a bad token");
      assertEquals(410, status(forged.post("[null,\"1\",\"phoenix\",\"heartbeat\",{}]")));
      Poller otherNode = new Poller(node, PhxClient.VSN);
      otherNode.token = LongPollToken.withRandomSecret("pekko://chorus@10.9.9.9:25520").issue("x");
      assertEquals(410, status(otherNode.get()), "a node that is not a member");
      assertEquals(1, node.metrics().longPollRefusedBy("node_gone"));
      Poller none = new Poller(node, PhxClient.VSN);
      assertEquals(410, status(none.post("[null,\"1\",\"phoenix\",\"heartbeat\",{}]")), "a POST without a session");
      assertTrue(node.metrics().longPollRefusedBy("unknown_session") >= 3);
      assertEquals(204, status(real.get()), "the real session is untouched");
    }
  }

  @Test
  void postsAreBoundedJustUnderAtAndOverWithAWitness() throws Exception {
    String config = SHORT + "chorus.longpoll.max-post-bytes = 4 KiB\nchorus.connection.max-frame-bytes = 1 KiB";
    try (ChorusNode node = TestNode.start(config); PhxClient witness = PhxClient.connect(node.httpAddress().getPort())) {
      witness.join("room:w");
      Poller p = new Poller(node, PhxClient.VSN).open();
      assertEquals(200, status(p.post("[\"1\",\"1\",\"room:w\",\"phx_join\",{}]")));
      p.reply("1");
      String head = "[\"1\",\"2\",\"room:w\",\"msg\",{\"b\":\"";
      String tail = "\"}]";
      String atFrame = head + "x".repeat(1024 - head.length() - tail.length()) + tail;
      assertEquals(1024, atFrame.length());
      assertEquals(200, status(p.post(atFrame.replace("x\"}", "\"}"))), "a frame just under max-frame-bytes");
      assertEquals(200, status(p.post(atFrame)), "a frame at max-frame-bytes");
      HttpResponse<String> frameOver = p.post(atFrame.replace("\"}", "x\"}"));
      assertEquals(413, frameOver.statusCode(), frameOver.body());
      assertTrue(frameOver.body().contains("max-frame-bytes"), frameOver.body());
      // the body: 4 lines of 1 KiB + 3 newlines is over 4 KiB; 3 is under
      String three = String.join("\n", atFrame, atFrame, atFrame);
      assertEquals(200, status(p.post(three)));
      HttpResponse<String> bodyOver = p.post(String.join("\n", atFrame, atFrame, atFrame, atFrame));
      assertEquals(413, bodyOver.statusCode(), bodyOver.body());
      assertTrue(bodyOver.body().contains("max-post-bytes"), bodyOver.body());
      HttpResponse<String> farOver = p.post("x".repeat(1_000_000));
      assertEquals(413, farOver.statusCode());
      assertEquals(2, node.metrics().longPollRefusedBy("body_too_large"));
      assertEquals(1, node.metrics().longPollRefusedBy("frame_too_large"));
      // the witness got every message sent within the bounds, and the session still works
      witness.broadcasts("room:w", 5, Duration.ofSeconds(10));
      witness.push("room:w", "msg", "{\"b\":\"still here\"}");
      p.await("the witness's message", f -> f.toString().contains("still here"));
    }
  }

  @Test
  void aSessionNotPolledIsFreedAfterTheIdleTimeout() throws Exception {
    try (ChorusNode node = TestNode.start(SHORT)) {
      Poller p = new Poller(node, PhxClient.VSN).open();
      assertEquals(200, status(p.post("[\"1\",\"1\",\"room:idle\",\"phx_join\",{}]")));
      p.reply("1");
      assertEquals(1, node.metrics().longPollSessions());
      TestNode.await("the idle session is freed", Duration.ofSeconds(10), () -> node.metrics().longPollSessions() == 0);
      assertEquals(1, node.metrics().closedBy("idle_timeout"));
      assertEquals(410, status(p.get()), "its next poll finds it gone");
    }
  }

  @Test
  void sessionsPerNodeJustUnderAtAndOverWithAWitness() throws Exception {
    try (ChorusNode node = TestNode.start(SHORT + "chorus.longpoll.max-sessions = 3")) {
      Poller witness = new Poller(node, PhxClient.VSN).open();
      new Poller(node, PhxClient.VSN).open(); // 2: under
      new Poller(node, PhxClient.VSN).open(); // 3: at
      HttpResponse<String> over = new Poller(node, PhxClient.VSN).get();
      assertEquals(503, over.statusCode(), over.body());
      JsonNode json = JSON.readTree(over.body());
      assertEquals(500, json.get("status").asInt(), "phoenix.js retries after its back-off");
      assertTrue(json.get("error").asText().contains("session limit"), over.body());
      assertEquals(1, node.metrics().longPollRefusedBy("session_limit"));
      assertEquals(204, status(witness.get()), "the witness still polls");
      // the idle ones go; then there is room again
      TestNode.await("room for a new session", Duration.ofSeconds(10), () -> {
        try {
          witness.get();
          return new Poller(node, PhxClient.VSN).get().statusCode() == 200;
        } catch (Exception e) {
          return false;
        }
      });
    }
  }

  @Test
  void preflightOtherMethodsAndOrigins() throws Exception {
    try (ChorusNode node = TestNode.start(SHORT)) {
      URI uri = URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + "/socket/longpoll?vsn=2.0.0");
      HttpResponse<String> options = HTTP.send(HttpRequest.newBuilder(uri).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
          .header("Access-Control-Request-Headers", "content-type, x-phoenix-authtoken").build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, options.statusCode());
      assertEquals("content-type, x-phoenix-authtoken", options.headers().firstValue("access-control-allow-headers").orElse(""));
      assertEquals("get, post, options", options.headers().firstValue("access-control-allow-methods").orElse(""));
      HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(uri).PUT(HttpRequest.BodyPublishers.ofString("x")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(405, put.statusCode());
      HttpResponse<String> foreign = HTTP.send(HttpRequest.newBuilder(uri).header("Origin", "https://evil.example").GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(403, foreign.statusCode());
      assertEquals(403, status(foreign), "phoenix.js closes 1008 and does not retry");
      assertEquals(1, node.metrics().refusedBy("origin"));
      assertEquals(0, node.metrics().longPollSessions());
    }
  }

  @Test
  void theConnectTokenIsCheckedAsOnTheWebSocketPath() throws Exception {
    String secret = "0123456789abcdef0123456789abcdef";
    try (ChorusNode node = TestNode.start(SHORT + "chorus.profile = prod\nchorus.auth.hs256-secret = \"" + secret + "\"")) {
      HttpResponse<String> none = new Poller(node, PhxClient.VSN).get();
      assertEquals(403, none.statusCode(), none.body());
      assertEquals(403, status(none));
      HttpResponse<String> bad = new Poller(node, PhxClient.VSN + "&token=not.a.jwt").get();
      assertEquals(403, status(bad));
      assertEquals(2, node.metrics().refusedBy("token"));
      var claims = new com.nimbusds.jwt.JWTClaimsSet.Builder().subject("ada")
          .expirationTime(java.util.Date.from(java.time.Instant.now().plusSeconds(600))).build();
      var signed = new com.nimbusds.jwt.SignedJWT(new com.nimbusds.jose.JWSHeader(com.nimbusds.jose.JWSAlgorithm.HS256), claims);
      signed.sign(new com.nimbusds.jose.crypto.MACSigner(secret));
      String jwt = signed.serialize();
      Poller p = new Poller(node, PhxClient.VSN + "&token=" + jwt).open(); // the JWT and then the session token in `token`
      assertEquals(204, status(p.get()), "the session token is told apart from the connect token");
      HttpResponse<String> header = HTTP.send(HttpRequest.newBuilder(URI.create(new Poller(node, PhxClient.VSN).url()))
          .header("X-Phoenix-AuthToken", jwt).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(410, status(header), "phoenix.js's authToken, in its header: " + header.body());
    }
  }

  @Test
  void aSessionThatDoesNotPollWhileMessagesArriveIsASlowConsumer() throws Exception {
    try (ChorusNode node = TestNode.start(SHORT.replace("idle-timeout = 1500 ms", "idle-timeout = 30 s")
        + "chorus.connection.outbound-max-frames = 20");
        PhxClient witness = PhxClient.connect(node.httpAddress().getPort())) {
      witness.join("room:slow");
      Poller p = new Poller(node, PhxClient.VSN).open();
      assertEquals(200, status(p.post("[\"1\",\"1\",\"room:slow\",\"phx_join\",{}]")));
      p.reply("1");
      for (int step = 0; step < 6; step++) { // the witness reads as it goes; the LongPoll client does not poll
        for (int i = 0; i < 5; i++) witness.push("room:slow", "msg", "{\"n\":" + i + "}");
        witness.broadcasts("room:slow", 5, Duration.ofSeconds(10));
      }
      TestNode.await("the LongPoll session closed as a slow consumer", Duration.ofSeconds(10),
          () -> node.metrics().slowConsumerClosesBy("queue_full") == 1);
      assertEquals(410, status(p.get()), "its next poll finds it gone: phoenix.js reconnects and rejoins");
      TestNode.await("and it is freed", Duration.ofSeconds(10), () -> node.metrics().longPollSessions() == 0);
      assertEquals(1, node.metrics().closedBy("slow_consumer"));
      witness.push("room:slow", "msg", "{\"after\":1}");
      witness.broadcasts("room:slow", 1, Duration.ofSeconds(10));
    }
  }

  @Test
  void otherRequestsKeepTheirOwnBodyBound() throws Exception {
    try (ChorusNode node = TestNode.start(SHORT + "chorus.http.max-request-bytes = 1 KiB")) {
      URI page = URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + "/nothing-here");
      HttpResponse<String> at = HTTP.send(HttpRequest.newBuilder(page).POST(HttpRequest.BodyPublishers.ofString("x".repeat(1024))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(404, at.statusCode(), "a body at max-request-bytes is read");
      HttpResponse<String> over = HTTP.send(HttpRequest.newBuilder(page).POST(HttpRequest.BodyPublishers.ofString("x".repeat(1025))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(413, over.statusCode());
      Poller p = new Poller(node, PhxClient.VSN).open();
      String frames = String.join("\n", java.util.Collections.nCopies(40, "[null,\"1\",\"phoenix\",\"heartbeat\",{}]"));
      assertTrue(frames.length() > 1024);
      assertEquals(200, status(p.post(frames)), "a LongPoll POST is bounded by max-post-bytes instead");
    }
  }

  @Test
  void aDrainEndsLongPollSessionsAndRefusesNewOnes() throws Exception {
    String key = "k".repeat(32);
    ChorusNode node = TestNode.start("chorus.longpoll { window = 5 s, idle-timeout = 8 s }\nchorus.admin.key = \"" + key
        + "\"\nchorus.drain.window = 3 s\nchorus.drain.interval = 100 ms");
    try {
      Poller p = new Poller(node, PhxClient.VSN).open();
      assertEquals(200, status(p.post("[\"1\",\"1\",\"room:drain\",\"phx_join\",{}]")));
      p.reply("1");
      CompletableFuture<HttpResponse<String>> waiting = p.getAsync();
      HttpResponse<String> drain = HTTP.send(HttpRequest.newBuilder(node.managementUri().resolve("/admin/drain"))
          .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(202, drain.statusCode(), drain.body());
      HttpResponse<String> fresh = new Poller(node, PhxClient.VSN).get();
      assertEquals(503, fresh.statusCode(), fresh.body());
      assertEquals(500, status(fresh), "phoenix.js reconnects (to another node, through the balancer)");
      assertEquals(410, status(waiting.get(10, java.util.concurrent.TimeUnit.SECONDS)), "the waiting poll: the session is gone");
      assertEquals(1, node.metrics().closedBy("service_restart"));
      node.whenTerminated().get(30, java.util.concurrent.TimeUnit.SECONDS);
    } finally {
      node.close();
    }
  }

  @Test
  void aBinaryPushOverLongPollReachesWebSocketsAndBinaryBroadcastsAreLeftOutOfPolls() throws Exception {
    try (ChorusNode node = TestNode.start(SHORT); PhxClient ws = PhxClient.connect(node.httpAddress().getPort())) {
      ws.join("room:bin");
      Poller p = new Poller(node, PhxClient.VSN).open();
      assertEquals(200, status(p.post("[\"1\",\"1\",\"room:bin\",\"phx_join\",{}]")));
      p.reply("1");
      byte[] bytes = {0, 1, 2, (byte) 0xFF};
      // phoenix.js base64-encodes an ArrayBuffer push on LongPoll: one line of its ndjson batch
      String line = java.util.Base64.getEncoder().encodeToString(PhxClient.binaryPush("1", "2", "room:bin", "file", bytes));
      assertEquals(200, status(p.post(line + "\n[\"1\",\"3\",\"room:bin\",\"msg\",{\"after\":\"binary\"}]")));
      assertEquals("ok", p.reply("2").get(4).get("status").asText(), "its reply is JSON, as every reply");
      JsonNode binary = ws.expect("the binary broadcast", f -> "file".equals(f.get(3).asText()));
      assertArrayEquals(bytes, PhxClient.binaryPayload(binary));
      p.reply("3");
      p.await("the JSON message after it", f -> f.toString().contains("\"after\":\"binary\""));
      assertTrue(p.received.stream().noneMatch(f -> "file".equals(f.get(3).asText())),
          "the binary broadcast is not in a poll answer (phoenix.js's LongPoll reads JSON only): " + p.received);
      HttpResponse<String> bad = p.post("[\"1\",\"4\",\"room:bin\",\"msg\",{}]\n!!!");
      assertEquals(400, bad.statusCode(), bad.body());
      assertEquals(1, node.metrics().longPollRefusedBy("bad_base64"));
    }
  }
}
