package dev.chorus.session;

import static org.junit.jupiter.api.Assertions.*;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.chorus.auth.TokenCommand;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * User-limited topics and join tokens over real WebSockets: the users a topic names join it, any
 * other is refused "not allowed"; a join of a namespace with join-token = required needs a join
 * token for that user and that topic, and each refusal names its reason and is counted. After
 * every refusal the same connection still joins and receives (witness).
 */
class JoinAccessTest {
  static final String SECRET = "a-shared-secret-of-at-least-32-bytes!";

  @RegisterExtension
  static final TestNodeExtension NODE = new TestNodeExtension(String.join("\n",
      "chorus.auth.hs256-secret = \"" + SECRET + "\"",
      "chorus.auth.join-token-max-lifetime = 10 m",
      "chorus.namespaces.dm { user-limited = on, user-limited-max-users = 3 }",
      "chorus.namespaces.private { join-token = required }"));

  static PhxClient connect(String user) throws Exception {
    return PhxClient.connect(NODE.port(), PhxClient.VSN + "&user=" + user).named(user);
  }

  /** Joins, expecting an error reply with {@code reason}, counted as a join refusal of that reason. */
  static void refused(PhxClient c, String topic, String payload, String reason) throws Exception {
    long before = NODE.node().metrics().joinsRefusedBy(reason);
    String joinRef = "j-" + System.nanoTime();
    c.sendJoin(topic, joinRef, payload);
    var reply = c.reply(joinRef);
    assertEquals("error", PhxClient.status(reply), reply.toString());
    assertEquals(reason, PhxClient.reason(reply), reply.toString());
    assertEquals(before + 1, NODE.node().metrics().joinsRefusedBy(reason));
  }

  /** The connection still joins and receives after a refusal. */
  static void stillServed(PhxClient c) throws Exception {
    String topic = "room:witness-" + System.nanoTime();
    c.join(topic);
    c.pushOk(topic, "ping", "{\"n\":1}");
    assertEquals(1, c.broadcasts(topic, 1, Duration.ofSeconds(10)).size());
  }

  @Test
  void theUsersATopicNamesJoinItAndOthersAreNotAllowed() throws Exception {
    try (PhxClient alice = connect("alice"); PhxClient bob = connect("bob"); PhxClient carol = connect("carol")) {
      alice.join("dm:#alice,bob");
      bob.join("dm:#alice,bob");
      refused(carol, "dm:#alice,bob", "{}", "not allowed");
      // the members still talk
      alice.pushOk("dm:#alice,bob", "msg", "{\"text\":\"hi\"}");
      assertEquals(1, bob.broadcasts("dm:#alice,bob", 1, Duration.ofSeconds(10)).size());
      // a topic of the namespace that names no users is open
      carol.join("dm:lobby");
      stillServed(carol);
    }
  }

  @Test
  void aMalformedOrTooLongUserListIsRefused() throws Exception {
    try (PhxClient alice = connect("alice")) {
      refused(alice, "dm:#alice,,bob", "{}", "invalid user list");
      refused(alice, "dm:#", "{}", "invalid user list");
      refused(alice, "dm:#alice,b,c,d", "{}", "invalid user list"); // over user-limited-max-users = 3
      alice.join("dm:#alice,b,alice"); // duplicates are fine within the limit
      stillServed(alice);
    }
  }

  @Test
  void userLimitedTopicsAreOnlyWhereTheNamespaceSaysSo() throws Exception {
    try (PhxClient carol = connect("carol")) {
      carol.join("room:#alice,bob"); // room has user-limited = off: '#' is just a character
    }
  }

  static String joinToken(String secret, String sub, String topic, Instant exp) throws Exception {
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(sub).issueTime(new Date()).expirationTime(Date.from(exp));
    if (topic != null) claims.claim("topic", topic);
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
    jwt.sign(new MACSigner(secret));
    return jwt.serialize();
  }

  static String payload(String token) {
    return "{\"token\":\"" + token + "\"}";
  }

  @Test
  void aJoinTokenForThisUserAndTopicLetsTheJoinIn() throws Exception {
    try (PhxClient ada = connect("ada"); PhxClient bob = connect("bob")) {
      ada.join("private:ops", "j1", payload(joinToken(SECRET, "ada", "private:ops", Instant.now().plusSeconds(60))));
      bob.join("private:ops", "j1", payload(joinToken(SECRET, "bob", "private:ops", Instant.now().plusSeconds(60))));
      ada.pushOk("private:ops", "msg", "{\"text\":\"hi\"}");
      assertEquals(1, bob.broadcasts("private:ops", 1, Duration.ofSeconds(10)).size());
    }
  }

  @Test
  void aJoinWithoutAGoodJoinTokenIsRefusedWithItsReason() throws Exception {
    Instant soon = Instant.now().plusSeconds(60);
    try (PhxClient ada = connect("ada")) {
      refused(ada, "private:ops", "{}", "join token: missing");
      refused(ada, "private:ops", "{\"token\":\"\"}", "join token: missing");
      refused(ada, "private:ops", payload(joinToken(SECRET, "ada", "private:ops", Instant.now().minusSeconds(120))),
          "join token: token expired");
      refused(ada, "private:ops", payload(joinToken(SECRET, "ada", "private:other", soon)), "join token: wrong topic");
      refused(ada, "private:ops", payload(joinToken(SECRET, "ada", null, soon)), "join token: wrong topic");
      refused(ada, "private:ops", payload(joinToken(SECRET, "bob", "private:ops", soon)), "join token: wrong user");
      refused(ada, "private:ops", payload(joinToken("another-secret-of-at-least-32-bytes!!", "ada", "private:ops", soon)),
          "join token: bad token signature");
      refused(ada, "private:ops", payload(joinToken(SECRET, "ada", "private:ops", Instant.now().plusSeconds(3600))),
          "join token: token lifetime too long"); // over join-token-max-lifetime = 10 m
      refused(ada, "private:ops", payload("not.a.jwt"), "join token: malformed token");
      stillServed(ada);
    }
  }

  @Test
  void theTokenCommandMintsAJoinToken() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    // its own stream, not System.out: a node's log line printed meanwhile would join the token
    int status = TokenCommand.run(List.of("--secret", SECRET, "--sub", "ada", "--topic", "private:cli", "--ttl", "5m"),
        new PrintStream(printed, true, StandardCharsets.UTF_8), System.err);
    assertEquals(0, status);
    String token = printed.toString(StandardCharsets.UTF_8).trim();
    try (PhxClient ada = connect("ada")) {
      ada.join("private:cli", "j1", payload(token));
      refused(ada, "private:cli2", payload(token), "join token: wrong topic");
    }
  }
}
