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
import dev.chorus.testkit.TestNode;
import dev.chorus.testkit.TestSocket;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
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

  /** The upgrade's HTTP response, head and body, for a token (null: none). */
  static String upgrade(String token) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      OutputStream out = s.getOutputStream();
      out.write(("GET /socket/websocket?vsn=2.0.0" + (token == null ? "" : "&token=" + token) + " HTTP/1.1\r\nHost: x\r\n"
          + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      s.setSoTimeout(5000);
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      // the head, then content-length bytes of body (the pekko transport keeps the connection)
      while (!got.toString(StandardCharsets.US_ASCII).contains("\r\n\r\n")) got.write(in.read());
      String head = got.toString(StandardCharsets.US_ASCII);
      java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
      if (length.find()) got.write(in.readNBytes(Integer.parseInt(length.group(1))));
      return got.toString(StandardCharsets.UTF_8);
    }
  }

  static void refused(String token, String reason) throws Exception {
    String response = upgrade(token);
    assertTrue(response.startsWith("HTTP/1.1 403"), response);
    assertTrue(response.endsWith(reason), "reason '" + reason + "' in: " + response);
  }

  static TestSocket connect(String token) throws Exception {
    return TestSocket.connect(port, "/socket/websocket?vsn=2.0.0&token=" + token, 0);
  }

  /** Joins; returns the join's reply (presence frames that follow an ok are left unread). */
  static String join(TestSocket s, String topic) throws Exception {
    s.sendText("[\"1\",\"1\",\"" + topic + "\",\"phx_join\",{}]");
    return s.receiveText();
  }

  /** The next phx_reply, skipping presence frames. */
  static String nextReply(TestSocket s) throws Exception {
    while (true) {
      String f = s.receiveText();
      if (f.contains("\"phx_reply\"")) return f;
    }
  }

  @Test
  void validTokensOfEachAlgorithmAreLetIn() throws Exception {
    for (String token : List.of(
        hs256(claims("ada").build()),
        sign(new RSASSASigner(rsa.getPrivate()), JWSAlgorithm.RS256, claims("ada").build()),
        sign(new ECDSASigner((ECPrivateKey) ec.getPrivate()), JWSAlgorithm.ES256, claims("ada").build()))) {
      String response = upgrade(token);
      assertTrue(response.startsWith("HTTP/1.1 101"), response);
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
    assertTrue(upgrade(confused).startsWith("HTTP/1.1 403"));
    refused(hs256(new JWTClaimsSet.Builder().expirationTime(Date.from(Instant.now().plusSeconds(60))).build()), "token lacks sub or exp");
    refused(hs256(new JWTClaimsSet.Builder().subject("ada").build()), "token lacks sub or exp");
    refused(hs256(claims("ada").claim("topics", "room:*").build()), "token claim topics must be a list of patterns");
  }

  @Test
  void aTokenOpensOnlyItsTopics() throws Exception {
    try (TestSocket s = connect(hs256(claims("ada").build()))) {
      assertTrue(join(s, "room:lobby").contains("\"ok\""));
      s.sendText("[\"2\",\"2\",\"user:ada\",\"phx_join\",{}]");
      String personal = nextReply(s);
      assertTrue(personal.contains("\"ok\""), personal);
      s.sendText("[\"3\",\"3\",\"user:bob\",\"phx_join\",{}]");
      assertTrue(nextReply(s).contains("\"reason\":\"unauthorized\""), "someone else's personal topic");
      s.sendText("[\"4\",\"4\",\"secret:plans\",\"phx_join\",{}]");
      assertTrue(nextReply(s).contains("\"reason\":\"unauthorized\""));
    }
    try (TestSocket none = connect(hs256(new JWTClaimsSet.Builder().subject("eve")
        .expirationTime(Date.from(Instant.now().plusSeconds(60))).build()))) {
      assertTrue(join(none, "room:lobby").contains("\"reason\":\"unauthorized\""), "no topics claim: no topic");
    }
  }

  @Test
  void aSubjectIsNeverAWildcard() throws Exception {
    // {sub} stands for the subject literally: a subject of "*" opens "room:dm-*" only.
    String token = hs256(claims("*").claim("topics", List.of("room:dm-{sub}")).build());
    try (TestSocket s = connect(token)) {
      assertTrue(join(s, "room:dm-bob").contains("\"reason\":\"unauthorized\""), "someone else's topic");
      s.sendText("[\"2\",\"2\",\"room:dm-*\",\"phx_join\",{}]");
      String own = nextReply(s);
      assertTrue(own.contains("\"ok\""), own);
    }
  }

  @Test
  void theTokensSubjectAndMetaAreThePresence() throws Exception {
    String token = hs256(claims("ada").claim("meta", Map.of("name", "Ada L.")).build());
    try (TestSocket s = connect(token)) {
      join(s, "room:who");
      String state = s.receiveText();
      assertTrue(state.contains("\"presence_state\",{\"ada\":{\"metas\":[{"), state);
      assertTrue(state.contains("\"name\":\"Ada L.\""), state);
    }
  }

  @Test
  void aTokenValidForYearsIsFine() throws Exception {
    String token = hs256(claims("ada").expirationTime(Date.from(Instant.now().plus(Duration.ofDays(3650)))).build());
    try (TestSocket s = connect(token)) {
      assertTrue(join(s, "room:lobby").contains("\"ok\""));
    }
  }

  @Test
  void aConnectionIsClosedWith4004WhenItsTokenExpires() throws Exception {
    String token = hs256(claims("ada").expirationTime(Date.from(Instant.now().plusSeconds(2))).build());
    try (TestSocket s = connect(token)) {
      TestSocket.Received close = s.awaitClose(Duration.ofSeconds(10));
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
