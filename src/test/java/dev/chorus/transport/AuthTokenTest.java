package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.RawSocket;
import dev.chorus.testkit.TestNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * phoenix.js's authToken over a real WebSocket, on a node in profile prod: the token in the
 * subprotocol {@code base64url.bearer.phx.<b64>} is decided exactly as the {@code token}
 * parameter; the 101 selects {@code phoenix}, never the token's protocol; malformed entries are
 * refused "malformed token", and every refusal is counted as {@code token}.
 */
class AuthTokenTest {
  static final String SECRET = "a-shared-secret-of-at-least-32-bytes!";
  static ChorusNode node;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start("chorus.profile = prod\nchorus.auth.hs256-secret = \"" + SECRET + "\"");
    port = node.httpAddress().getPort();
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  static String token(String secret, String sub, Instant exp) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder()
        .subject(sub).expirationTime(Date.from(exp)).claim("topics", List.of("room:*")).build());
    jwt.sign(new MACSigner(secret));
    return jwt.serialize();
  }

  static String valid(String sub) throws Exception {
    return token(SECRET, sub, Instant.now().plusSeconds(600));
  }

  /** What phoenix.js 1.8 sends: btoa(token) without its '='. */
  static String phoenixJsProtocols(String token) {
    return "phoenix, " + AuthTokenProtocol.PREFIX
        + Base64.getEncoder().withoutPadding().encodeToString(token.getBytes(StandardCharsets.UTF_8));
  }

  static PhxClient connect(String query, String protocols) throws IOException {
    return PhxClient.connectWithHeaders(port, query, "Sec-WebSocket-Protocol: " + protocols + "\r\n");
  }

  static void refused(String protocols, String reason) {
    long before = node.metrics().refusedBy("token");
    PhxClient.UpgradeRefused e = assertThrows(PhxClient.UpgradeRefused.class, () -> connect(PhxClient.VSN, protocols).close());
    assertEquals(403, e.status(), e.getMessage());
    assertEquals(reason, e.body(), e.getMessage());
    assertFalse(e.head().toLowerCase().contains("sec-websocket-protocol"), "a refusal selects no protocol: " + e.head());
    assertEquals(before + 1, node.metrics().refusedBy("token"));
  }

  @Test
  void aValidAuthTokenConnectsSelectsPhoenixAndJoins() throws Exception {
    String token = valid("ada");
    try (PhxClient c = connect(PhxClient.VSN, phoenixJsProtocols(token))) {
      String head = c.upgradeHead().toLowerCase();
      assertTrue(head.contains("\r\nsec-websocket-protocol: phoenix\r\n"), head);
      assertFalse(head.contains("bearer"), "the token's protocol is never echoed: " + head);
      c.join("room:auth");
      c.pushOk("room:auth", "msg", "{\"n\":1}");
      assertEquals(1, c.broadcasts("room:auth", 1, Duration.ofSeconds(10)).size());
    }
    // padded and url-safe base64 are read too
    String padded = Base64.getUrlEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8));
    connect(PhxClient.VSN, "phoenix, " + AuthTokenProtocol.PREFIX + padded).close();
  }

  @Test
  void badSignatureExpiredAndMalformedAreRefusedAsTheParameterIs() throws Exception {
    refused(phoenixJsProtocols(token("another-secret-of-at-least-32-bytes!!", "ada", Instant.now().plusSeconds(600))),
        "bad token signature");
    refused(phoenixJsProtocols(token(SECRET, "ada", Instant.now().minusSeconds(120))), "token expired");
    refused(phoenixJsProtocols("not.a.jwt"), "malformed token");
    refused("phoenix, " + AuthTokenProtocol.PREFIX + "***", "malformed token"); // not base64
    refused("phoenix, " + AuthTokenProtocol.PREFIX, "malformed token"); // empty
    refused("phoenix, " + AuthTokenProtocol.PREFIX + "QUJD".repeat(1400), "malformed token"); // 5.6 KB: fits the headers, longer than a token may be
  }

  @Test
  void anEntryOverNettysHeaderBoundGets431ALongRequestLine414AndNothingElseBreaks() throws Exception {
    long before = node.metrics().refusedBy("request_too_large");
    try (RawSocket raw = RawSocket.open(port)) {
      raw.send("GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
          + "Sec-WebSocket-Protocol: phoenix, " + AuthTokenProtocol.PREFIX + "QUJD".repeat(3000) + "\r\n\r\n");
      String answer = raw.awaitClosed(Duration.ofSeconds(10));
      assertTrue(answer.startsWith("HTTP/1.1 431"), answer);
      assertTrue(answer.endsWith("request headers too large"), answer);
    }
    try (RawSocket raw = RawSocket.open(port)) { // and a request line over Netty's 4 KiB: 414
      raw.send("GET /socket/websocket?vsn=2.0.0&token=" + "x".repeat(5000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      String answer = raw.awaitClosed(Duration.ofSeconds(10));
      assertTrue(answer.startsWith("HTTP/1.1 414"), answer);
      assertTrue(answer.endsWith("request line too long"), answer);
    }
    assertEquals(before + 2, node.metrics().refusedBy("request_too_large"));
    try (PhxClient witness = connect(PhxClient.VSN, phoenixJsProtocols(valid("witness")))) {
      witness.assertHeartbeatAnswered();
    }
  }

  /** The authToken wins over the token parameter: documented in docs/protocol.md §9. */
  @Test
  void theAuthTokenTakesPrecedenceOverTheTokenParameter() throws Exception {
    String good = valid("ada");
    String expired = token(SECRET, "ada", Instant.now().minusSeconds(120));
    connect(PhxClient.VSN + "&token=" + expired, phoenixJsProtocols(good)).close();
    refused(phoenixJsProtocols(expired) + "", "token expired");
    PhxClient.UpgradeRefused e = assertThrows(PhxClient.UpgradeRefused.class,
        () -> connect(PhxClient.VSN + "&token=" + good, phoenixJsProtocols(expired)).close());
    assertEquals("token expired", e.body());
    // without one, the parameter is used as before, and a client that offers phoenix alone gets it
    try (PhxClient c = connect(PhxClient.VSN + "&token=" + good, "phoenix")) {
      assertTrue(c.upgradeHead().toLowerCase().contains("\r\nsec-websocket-protocol: phoenix\r\n"), c.upgradeHead());
    }
    try (PhxClient c = PhxClient.connect(port, PhxClient.VSN + "&token=" + good)) {
      assertFalse(c.upgradeHead().toLowerCase().contains("sec-websocket-protocol"), "none offered, none selected");
    }
  }
}
