package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Connections per user and new connections per IP are bounded: 429 with a reason, counted. */
class ConnectLimitsTest {

  static PhxClient connect(ChorusNode node, String user) throws IOException {
    return PhxClient.connect(node.httpAddress().getPort(), PhxClient.VSN + "&user=" + user);
  }

  @Test
  void aUserMayHoldOnlyMaxPerUserConnectionsOnANode() throws Exception {
    try (ChorusNode node = TestNode.start("chorus.connection.max-per-user = 2")) {
      PhxClient a = connect(node, "ada");
      try (PhxClient b = connect(node, "ada"); PhxClient other = connect(node, "bob")) {
        IOException e = assertThrows(IOException.class, () -> connect(node, "ada"));
        assertTrue(e.getMessage().contains("429"), e.getMessage());
        assertEquals(1, node.metrics().refusedBy("user_limit"));
        a.close(); // a slot is free again once the server has seen the connection end
        TestNode.await("ada can connect again", Duration.ofSeconds(10), () -> {
          try (PhxClient again = connect(node, "ada")) {
            return true;
          } catch (IOException refused) {
            return false;
          }
        });
      }
    }
  }

  @Test
  void newConnectionsFromOneAddressAreRateLimited() throws Exception {
    try (ChorusNode node = TestNode.start("chorus.connection { connect-rate-per-ip = 0.001, connect-burst-per-ip = 3 }")) {
      // a refill of one a quarter hour: however slow these connects, the fourth finds none
      for (int i = 0; i < 3; i++) connect(node, "u" + i).close();
      IOException e = assertThrows(IOException.class, () -> connect(node, "u9"));
      assertTrue(e.getMessage().contains("429"), e.getMessage());
      assertEquals(1, node.metrics().refusedBy("ip_rate"));
    }
  }

  @Test
  void theIpOfAnAddress() {
    assertEquals("127.0.0.1", SocketGate.ipOf(new InetSocketAddress("127.0.0.1", 5000)));
    assertEquals("10.0.0.2", SocketGate.ipOf(new InetSocketAddress("10.0.0.2", 80)));
    // IPv6 peers too are one address whatever their port (the old text parsing kept the port)
    assertEquals(SocketGate.ipOf(new InetSocketAddress("::1", 5000)), SocketGate.ipOf(new InetSocketAddress("::1", 5001)));
  }
}
