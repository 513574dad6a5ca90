package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The handshake: plain requests and other protocol versions are refused with a reason. */
class HandshakeTest {
  static ChorusNode node;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start();
    port = node.httpAddress().getPort();
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  @Test
  void aPlainRequestIsRefusedWith400() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/socket/websocket?vsn=2.0.0")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, r.statusCode());
    assertTrue(r.body().contains("WebSocket upgrade"), r.body());
  }

  @Test
  void unknownProtocolVersionsAreRefusedWith400AndAReason() throws Exception {
    for (String vsn : new String[] {"3.0.0", "1.1.0", "1", "x", ""}) {
      PhxClient.UpgradeRefused e = assertThrows(PhxClient.UpgradeRefused.class, () -> PhxClient.connect(port, "vsn=" + vsn));
      assertEquals(400, e.status(), e.getMessage());
      assertEquals("unsupported protocol version vsn=" + vsn + ": Chorus speaks Phoenix Channels 2.0.0 and 1.0.0", e.body());
    }
    PhxClient.connect(port, "vsn=1.0.0").close(); // V1, as Phoenix's ~> 1.0.0 (V1JsonTest)
  }

  @Test
  void theAcceptKeyFollowsRfc6455() {
    // the example handshake of RFC 6455 §1.3
    assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", NettySocketServer.acceptKey("dGhlIHNhbXBsZSBub25jZQ=="));
  }

  @Test
  void anUpgradeWithoutVsnIsAcceptedAsVersion2() throws Exception {
    try (PhxClient s = PhxClient.connect(port, "")) {
      s.sendText("[null,\"1\",\"phoenix\",\"heartbeat\",{}]");
      assertTrue(s.receiveText().contains("\"status\":\"ok\""));
    }
  }
}
