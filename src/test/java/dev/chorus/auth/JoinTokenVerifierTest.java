package dev.chorus.auth;

import static org.junit.jupiter.api.Assertions.*;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.chorus.room.Namespaces;
import dev.chorus.session.JoinAccess;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import org.junit.jupiter.api.Test;

/** Join tokens checked without a node, at a fixed time. */
class JoinTokenVerifierTest {
  static final String SECRET = "a-shared-secret-of-at-least-32-bytes!";
  static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
  static final Config AUTH = ConfigFactory.parseString(
      "hs256-secret = \"" + SECRET + "\"\njoin-token-max-lifetime = 10 m").withFallback(ConfigFactory.load().getConfig("chorus.auth"));
  static final JoinTokenVerifier VERIFIER = JoinTokenVerifier.fromConfig(AUTH, Clock.fixed(NOW, ZoneOffset.UTC));

  static String token(String secret, String sub, Object topic, Instant iat, Instant exp) throws Exception {
    JWTClaimsSet.Builder c = new JWTClaimsSet.Builder().subject(sub).issueTime(Date.from(iat)).expirationTime(Date.from(exp));
    if (topic != null) c.claim("topic", topic);
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), c.build());
    jwt.sign(new MACSigner(secret));
    return jwt.serialize();
  }

  static String refusal(String token, String topic, String user) {
    return assertThrows(TokenVerifier.InvalidTokenException.class, () -> VERIFIER.verify(token, topic, user)).getMessage();
  }

  @Test
  void aTokenForThisUserAndTopicPasses() throws Exception {
    VERIFIER.verify(token(SECRET, "ada", "private:ops", NOW, NOW.plusSeconds(300)), "private:ops", "ada");
  }

  @Test
  void eachRefusalNamesItsReason() throws Exception {
    Instant soon = NOW.plusSeconds(300);
    assertEquals("join token: missing", refusal(null, "private:ops", "ada"));
    assertEquals("join token: missing", refusal(" ", "private:ops", "ada"));
    assertEquals("join token: wrong topic", refusal(token(SECRET, "ada", "private:other", NOW, soon), "private:ops", "ada"));
    assertEquals("join token: wrong topic", refusal(token(SECRET, "ada", null, NOW, soon), "private:ops", "ada"));
    assertEquals("join token: wrong topic", refusal(token(SECRET, "ada", 42, NOW, soon), "private:ops", "ada"));
    assertEquals("join token: wrong user", refusal(token(SECRET, "bob", "private:ops", NOW, soon), "private:ops", "ada"));
    // expired beyond the clock skew (30 s)
    assertEquals("join token: token expired",
        refusal(token(SECRET, "ada", "private:ops", NOW.minusSeconds(600), NOW.minusSeconds(31)), "private:ops", "ada"));
    assertEquals("join token: token lifetime too long",
        refusal(token(SECRET, "ada", "private:ops", NOW, NOW.plusSeconds(601)), "private:ops", "ada"));
    assertEquals("join token: bad token signature",
        refusal(token("another-secret-of-at-least-32-bytes!!", "ada", "private:ops", NOW, soon), "private:ops", "ada"));
    assertEquals("join token: malformed token", refusal("x.y", "private:ops", "ada"));
  }

  @Test
  void theLifetimeBoundMustBePositiveAndAKeyIsNeeded() {
    assertThrows(IllegalArgumentException.class,
        () -> JoinTokenVerifier.fromConfig(ConfigFactory.parseString("join-token-max-lifetime = 0").withFallback(AUTH)));
    assertNull(JoinTokenVerifier.fromConfig(ConfigFactory.parseString("hs256-secret = \"\"").withFallback(AUTH)));
  }

  @Test
  void aNodeWithAJoinTokenNamespaceAndNoKeyRefusesToStart() {
    Config chorus = ConfigFactory.parseString("namespaces.private { join-token = required }")
        .withFallback(ConfigFactory.load().getConfig("chorus"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JoinAccess.fromConfig(chorus, Namespaces.fromConfig(chorus)));
    assertTrue(e.getMessage().contains("private"), e.getMessage());
    Config typo = ConfigFactory.parseString("namespaces.private { join-token = yes-please }")
        .withFallback(ConfigFactory.load().getConfig("chorus"));
    assertThrows(IllegalArgumentException.class, () -> Namespaces.fromConfig(typo));
  }
}
