package dev.chorus.auth;

import static org.junit.jupiter.api.Assertions.*;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Connection tokens on a node in profile prod: each valid kind is let in, each bad one refused. */
class TokenTest {
  static final String SECRET = "a-shared-secret-of-at-least-32-bytes!";
  static KeyPair rsa;
  static KeyPair ec;
  static ChorusNode node;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    KeyPairGenerator r = KeyPairGenerator.getInstance("RSA");
    r.initialize(2048);
    rsa = r.generateKeyPair();
    KeyPairGenerator e = KeyPairGenerator.getInstance("EC");
    e.initialize(Curve.P_256.toECParameterSpec());
    ec = e.generateKeyPair();
    Path dir = Files.createTempDirectory("chorus-keys");
    Path pem = dir.resolve("rsa.pem");
    Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(rsa.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
    Path jwks = dir.resolve("keys.json");
    Files.writeString(jwks, new JWKSet(new ECKey.Builder(Curve.P_256, (ECPublicKey) ec.getPublic()).keyID("ec1").build()).toString());
    node = TestNode.start("chorus.profile = prod\n"
        + "chorus.auth { hs256-secret = \"" + SECRET + "\", public-key-file = \"" + pem + "\", jwks-file = \"" + jwks + "\" }\n"
        + "chorus.namespaces { user {}, secret {} }\n"
        + "chorus.namespaces.room.presence = on");
    port = node.httpAddress().getPort();
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  static JWTClaimsSet.Builder claims(String sub) {
    return new JWTClaimsSet.Builder().subject(sub).expirationTime(Date.from(Instant.now().plusSeconds(600)))
        .claim("topics", List.of("room:*", "user:{sub}"));
  }

  static String sign(JWSSigner signer, JWSAlgorithm alg, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID("ec1").build(), claims);
    jwt.sign(signer);
    return jwt.serialize();
  }

  static String hs256(JWTClaimsSet claims) throws Exception {
    return sign(new MACSigner(SECRET), JWSAlgorithm.HS256, claims);
  }

  /** Connects with a token (null: none); a refused upgrade throws {@link PhxClient.UpgradeRefused}. */
  static PhxClient connect(String token) throws Exception {
    return PhxClient.connect(port, PhxClient.VSN + (token == null ? "" : "&token=" + token));
  }

  /** The upgrade is refused with 403 and this reason as its body. */
  static void refused(String token, String reason) {
    PhxClient.UpgradeRefused e = assertThrows(PhxClient.UpgradeRefused.class, () -> connect(token).close());
    assertEquals(403, e.status(), e.getMessage());
    assertTrue(e.body().endsWith(reason), "reason '" + reason + "' in: " + e.getMessage());
  }

  /** Joins; the next frame is the join's reply, returned (presence frames that follow an ok are left unread). */
  static String join(PhxClient s, String topic) throws Exception {
    s.sendJoin(topic, "1", "{}");
    return s.nextReply("1").toString();
  }

  /** The next phx_reply, skipping presence frames. */
  static String nextReply(PhxClient s) throws Exception {
    return s.skipTo("a phx_reply", PhxClient::isReply).toString();
  }

  @Test
  void validTokensOfEachAlgorithmAreLetIn() throws Exception {
    for (String token : List.of(
        hs256(claims("ada").build()),
        sign(new RSASSASigner(rsa.getPrivate()), JWSAlgorithm.RS256, claims("ada").build()),
        sign(new ECDSASigner((ECPrivateKey) ec.getPrivate()), JWSAlgorithm.ES256, claims("ada").build()))) {
      connect(token).close(); // the upgrade's answer is 101, else this throws
    }
  }

  @Test
  void badTokensAreRefusedWith403AndAReason() throws Exception {
    refused(null, "token required");
    refused("", "token required");
    refused("not.a.jwt", "malformed token");
    refused(hs256(claims("ada").expirationTime(Date.from(Instant.now().minusSeconds(120))).build()), "token expired");
    refused(sign(new MACSigner("another-secret-of-at-least-32-bytes!!"), JWSAlgorithm.HS256, claims("ada").build()), "bad token signature");
    refused(new PlainJWT(claims("ada").build()).serialize(), "token algorithm not accepted"); // alg none
    // HS/RS confusion: an HS256 token whose "secret" is the RSA public key
    byte[] publicKeyAsSecret = Base64.getEncoder().encodeToString(rsa.getPublic().getEncoded()).getBytes(StandardCharsets.US_ASCII);
    String confused = sign(new MACSigner(publicKeyAsSecret), JWSAlgorithm.HS256, claims("ada").build());
    assertEquals(403, assertThrows(PhxClient.UpgradeRefused.class, () -> connect(confused).close()).status());
    refused(hs256(new JWTClaimsSet.Builder().expirationTime(Date.from(Instant.now().plusSeconds(60))).build()), "token lacks sub or exp");
    refused(hs256(new JWTClaimsSet.Builder().subject("ada").build()), "token lacks sub or exp");
    refused(hs256(claims("ada").claim("topics", "room:*").build()), "token claim topics must be a list of patterns");
  }

  @Test
  void aTokenOpensOnlyItsTopics() throws Exception {
    try (PhxClient s = connect(hs256(claims("ada").build()))) {
      assertTrue(join(s, "room:lobby").contains("\"ok\""));
      s.sendText("[\"2\",\"2\",\"user:ada\",\"phx_join\",{}]");
      String personal = nextReply(s);
      assertTrue(personal.contains("\"ok\""), personal);
      s.sendText("[\"3\",\"3\",\"user:bob\",\"phx_join\",{}]");
      assertTrue(nextReply(s).contains("\"reason\":\"unauthorized\""), "someone else's personal topic");
      s.sendText("[\"4\",\"4\",\"secret:plans\",\"phx_join\",{}]");
      assertTrue(nextReply(s).contains("\"reason\":\"unauthorized\""));
    }
    try (PhxClient none = connect(hs256(new JWTClaimsSet.Builder().subject("eve")
        .expirationTime(Date.from(Instant.now().plusSeconds(60))).build()))) {
      assertTrue(join(none, "room:lobby").contains("\"reason\":\"unauthorized\""), "no topics claim: no topic");
    }
  }

  @Test
  void aSubjectIsNeverAWildcard() throws Exception {
    // {sub} stands for the subject literally: a subject of "*" opens "room:dm-*" only.
    String token = hs256(claims("*").claim("topics", List.of("room:dm-{sub}")).build());
    try (PhxClient s = connect(token)) {
      assertTrue(join(s, "room:dm-bob").contains("\"reason\":\"unauthorized\""), "someone else's topic");
      s.sendText("[\"2\",\"2\",\"room:dm-*\",\"phx_join\",{}]");
      String own = nextReply(s);
      assertTrue(own.contains("\"ok\""), own);
    }
  }

  @Test
  void theTokensSubjectAndMetaAreThePresence() throws Exception {
    String token = hs256(claims("ada").claim("meta", Map.of("name", "Ada L.")).build());
    try (PhxClient s = connect(token)) {
      join(s, "room:who");
      String state = s.next().toString();
      assertTrue(state.contains("\"presence_state\",{\"ada\":{\"metas\":[{"), state);
      assertTrue(state.contains("\"name\":\"Ada L.\""), state);
    }
  }

  @Test
  void aTokenValidForYearsIsFine() throws Exception {
    String token = hs256(claims("ada").expirationTime(Date.from(Instant.now().plus(Duration.ofDays(3650)))).build());
    try (PhxClient s = connect(token)) {
      assertTrue(join(s, "room:lobby").contains("\"ok\""));
    }
  }

  @Test
  void aConnectionIsClosedWith4004WhenItsTokenExpires() throws Exception {
    String token = hs256(claims("ada").expirationTime(Date.from(Instant.now().plusSeconds(2))).build());
    try (PhxClient s = connect(token)) {
      PhxClient.Received close = s.awaitClose(Duration.ofSeconds(10));
      assertNotNull(close);
      assertEquals(4004, close.closeCode());
      assertEquals("token expired", close.closeReason());
    }
  }

  @Test
  void profileProdRefusesToStartWithoutAKey() {
    var e = assertThrows(IllegalArgumentException.class, () -> TestNode.start("chorus.profile = prod").close());
    assertTrue(e.getMessage().contains("profile prod requires a key"), e.getMessage());
    var short_ = assertThrows(IllegalArgumentException.class,
        () -> TestNode.start("chorus.auth.hs256-secret = \"short\"").close());
    assertTrue(short_.getMessage().contains("at least 32 bytes"));
  }
}
