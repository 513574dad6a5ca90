package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import dev.chorus.testkit.TestNodeExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cross-site WebSocket hijacking: a page of another site opens a socket to the node from its
 * visitor's browser (with the visitor's cookies and network position). Before, an upgrade with
 * {@code Origin: https://evil.example} got 101 and could join; now only pages of the host the
 * request went to, and listed origins, are let in (chorus.http.allowed-origins).
 */
class CrossSiteHijackingTest {
  @RegisterExtension
  static final TestNodeExtension NODE = new TestNodeExtension();

  static PhxClient connect(int port, String origin) throws Exception {
    return PhxClient.connectWithHeaders(port, PhxClient.VSN, origin == null ? "" : "Origin: " + origin + "\r\n");
  }

  static void refused(int port, String origin) {
    PhxClient.UpgradeRefused e = assertThrows(PhxClient.UpgradeRefused.class, () -> connect(port, origin).close(), origin);
    assertEquals(403, e.status(), e.getMessage());
    assertEquals("origin not allowed (chorus.http.allowed-origins)", e.body());
  }

  static void joins(int port, String origin) throws Exception {
    try (PhxClient s = connect(port, origin)) {
      s.join("room:origins"); // fails unless the join's reply is ok
    }
  }

  @Test
  void aPageOfAnotherSiteCannotOpenASocket() throws Exception {
    int port = NODE.port();
    long before = NODE.node().metrics().refusedBy("origin");
    try (PhxClient witness = PhxClient.connect(port)) {
      witness.join("room:origins-witness");
      for (String evil : new String[] {"https://evil.example", "http://127.0.0.1.evil.example:" + port, "null",
          "https://evil.example:" + port}) {
        refused(port, evil);
        witness.assertHeartbeatAnswered();
      }
    }
    assertEquals(4, NODE.node().metrics().refusedBy("origin") - before);
  }

  @Test
  void aPageOfThisHostAndAClientWithoutAnOriginAreLetIn() throws Exception {
    int port = NODE.port();
    joins(port, "http://127.0.0.1:" + port); // the demo page
    joins(port, "https://127.0.0.1"); // the same host behind a TLS proxy
    joins(port, null); // not a browser: phoenix.js under Node, mobile clients, backends
  }

  @Test
  void listedOriginsAreLetInAndOthersStillRefused() throws Exception {
    try (ChorusNode node = TestNode.start("chorus.http.allowed-origins = [\"https://*.example.com\", \"http://localhost:3000\"]")) {
      int port = node.httpAddress().getPort();
      joins(port, "https://app.example.com");
      joins(port, "https://example.com");
      joins(port, "http://localhost:3000");
      refused(port, "http://localhost:3001");
      refused(port, "http://app.example.com");
      refused(port, "https://evil.example");
      assertEquals(3, node.metrics().refusedBy("origin"));
    }
  }

  @Test
  void aBadPatternStopsTheStart() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TestNode.start("chorus.http.allowed-origins = [\"*.example.com\"]").close());
    assertTrue(e.getMessage().contains("chorus.http.allowed-origins"), e.getMessage());
  }
}
