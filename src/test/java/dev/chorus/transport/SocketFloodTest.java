package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.RawSocket;
import dev.chorus.testkit.TestNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Sockets that never become WebSockets. Before, half-sent upgrade requests were never timed out
 * (50 of 50 still open after 75 s), the per-address limit counted only complete requests, and
 * nothing bounded the node's connections: now a connection has chorus.http.handshake-timeout to
 * complete its request, and open connections are counted from accept, per address
 * (max-connections-per-ip, 429) and on the node (max-connections, 503). A witness connected
 * before each flood keeps working through it.
 */
class SocketFloodTest {
  static final String HALF_UPGRADE = "GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n";
  static final String FULL_UPGRADE = HALF_UPGRADE
      + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  /** A second loopback address: the attacker's, so that the witness (127.0.0.1) is another client. */
  static final String ATTACKER = "127.0.0.2";

  static PhxClient witness(ChorusNode node) throws IOException {
    PhxClient w = PhxClient.connect(node.httpAddress().getPort());
    w.join("room:flood-witness");
    return w;
  }

  static void closeAll(List<RawSocket> sockets) throws IOException {
    for (RawSocket s : sockets) s.close();
  }

  @Test
  void halfSentAndTrickledUpgradeRequestsAreClosedAtTheHandshakeTimeout() throws Exception {
    Duration timeout = Duration.ofSeconds(2);
    try (ChorusNode node = TestNode.start("chorus.http.handshake-timeout = 2 s"); PhxClient witness = witness(node)) {
      int port = node.httpAddress().getPort();
      List<RawSocket> sockets = new ArrayList<>();
      try {
        long start = System.nanoTime();
        for (int i = 0; i < 50; i++) sockets.add(RawSocket.open(port).send(HALF_UPGRADE));
        sockets.add(RawSocket.open(port)); // connects and sends nothing
        // One byte every 200 ms: never idle, never done.
        RawSocket trickle = RawSocket.open(port);
        String request = HALF_UPGRADE + "Connection: Upgrade\r\n";
        int sent = 0;
        boolean closed = false;
        while (!closed && System.nanoTime() - start < timeout.plusSeconds(5).toNanos()) {
          try {
            trickle.send(String.valueOf(request.charAt(sent++ % request.length())));
          } catch (IOException reset) {
            break;
          }
          closed = trickle.isClosed(Duration.ofMillis(200)); // also the pace of the trickle
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(trickle.isClosed(Duration.ofSeconds(1)), "the trickled request is closed; sent " + sent + " bytes");
        assertTrue(took.compareTo(timeout.minusMillis(300)) >= 0, "not before the timeout: " + took);
        // (its 408 may be lost to the reset that the bytes it kept sending cause)
        assertTrue(trickle.received().isEmpty() || trickle.received().startsWith("HTTP/1.1 408"), trickle.received());
        trickle.close();
        for (RawSocket s : sockets) {
          String answer = s.awaitClosed(Duration.ofSeconds(3));
          assertTrue(answer.startsWith("HTTP/1.1 408 Request Timeout"), answer);
          assertTrue(answer.endsWith("handshake timeout: the request did not arrive in time"), answer);
        }
        assertEquals(52, node.metrics().refusedBy("handshake_timeout"));
        // The upgraded witness is not subject to it, and new clients still get in.
        witness.assertHeartbeatAnswered();
        try (PhxClient fresh = PhxClient.connect(port)) {
          fresh.assertHeartbeatAnswered();
        }
      } finally {
        closeAll(sockets);
      }
    }
  }

  @Test
  void oneAddressCannotHoldMoreThanItsOpenSocketLimit() throws Exception {
    try (ChorusNode node = TestNode.start("chorus.http { max-connections-per-ip = 5, handshake-timeout = 60 s }");
        PhxClient witness = witness(node)) {
      int port = node.httpAddress().getPort();
      List<RawSocket> sockets = new ArrayList<>();
      try {
        for (int i = 0; i < 5; i++) sockets.add(RawSocket.open(ATTACKER, port).send(HALF_UPGRADE));
        for (RawSocket s : sockets) assertFalse(s.isClosed(Duration.ofMillis(100)), "within the limit: open");
        for (int i = 0; i < 3; i++) {
          try (RawSocket over = RawSocket.open(ATTACKER, port)) {
            // the second sends a whole upgrade at once, as a real client would: it reads why all the same
            if (i == 1) over.send(FULL_UPGRADE);
            String answer = over.awaitClosed(Duration.ofSeconds(3));
            assertTrue(answer.startsWith("HTTP/1.1 429 Too Many Requests"), answer);
            assertTrue(answer.endsWith("too many open connections from this address"), answer);
          }
        }
        assertEquals(3, node.metrics().refusedBy("ip_limit"));
        // Other addresses are not affected.
        witness.assertHeartbeatAnswered();
        try (PhxClient other = PhxClient.connect(port)) {
          other.join("room:flood-other");
        }
        // A slot of the address is free again once one of its sockets has closed.
        sockets.remove(0).close();
        TestNode.await("a new socket of the attacker's address is let in", Duration.ofSeconds(10), () -> {
          try {
            RawSocket again = RawSocket.open(ATTACKER, port);
            if (again.isClosed(Duration.ofMillis(200))) {
              again.close();
              return false;
            }
            sockets.add(again);
            return true;
          } catch (IOException e2) {
            return false;
          }
        });
        witness.assertHeartbeatAnswered();
      } finally {
        closeAll(sockets);
      }
    }
  }

  @Test
  void overTheNodesConnectionCapNewConnectionsGet503() throws Exception {
    try (ChorusNode node = TestNode.start("chorus.http { max-connections = 4, handshake-timeout = 60 s }");
        PhxClient witness = witness(node)) {
      int port = node.httpAddress().getPort();
      List<RawSocket> sockets = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) sockets.add(RawSocket.open(ATTACKER, port).send(HALF_UPGRADE));
        for (RawSocket s : sockets) assertFalse(s.isClosed(Duration.ofMillis(100)), "within the cap: open");
        try (RawSocket over = RawSocket.open(port)) {
          String answer = over.awaitClosed(Duration.ofSeconds(3));
          assertTrue(answer.startsWith("HTTP/1.1 503 Service Unavailable"), answer);
          assertTrue(answer.endsWith("this node is at its connection limit: connect to another node"), answer);
        }
        PhxClient.UpgradeRefused e = assertThrows(PhxClient.UpgradeRefused.class, () -> PhxClient.connect(port).close());
        assertEquals(503, e.status(), e.getMessage());
        assertEquals("this node is at its connection limit: connect to another node", e.body());
        assertEquals(2, node.metrics().refusedBy("node_limit"));
        witness.assertHeartbeatAnswered();
        closeAll(sockets);
        TestNode.await("a client gets in once connections have closed", Duration.ofSeconds(10), () -> {
          try (PhxClient c = PhxClient.connect(port)) {
            c.assertHeartbeatAnswered();
            return true;
          } catch (IOException refused) {
            return false;
          }
        });
        witness.assertHeartbeatAnswered();
      } finally {
        closeAll(sockets);
      }
    }
  }
}
