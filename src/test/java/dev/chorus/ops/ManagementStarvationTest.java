package dev.chorus.ops;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.RawSocket;
import dev.chorus.testkit.TestNodeExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The management port's probes keep answering while clients hold connections with half-sent
 * requests: before, 1 100 of them held all of Pekko HTTP's 1 024 connections for its idle
 * timeout, and /alive and /ready timed out (Kubernetes would have restarted a healthy pod).
 * Runs with the shipped settings (pekko-overrides.conf).
 */
class ManagementStarvationTest {
  static final int HALF_SENT = 1100;

  @RegisterExtension
  static final TestNodeExtension NODE = new TestNodeExtension();

  /**
   * A probe as the kubelet sends it: a new connection, one GET, closed after the answer. Returns
   * the answer's status line; fails when connecting and answering take longer than {@code within}.
   */
  static String probe(ChorusNode node, String path, Duration within) throws Exception {
    long start = System.nanoTime();
    try (RawSocket s = RawSocket.open(node.managementUri().getPort())) {
      s.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      String answer = s.awaitReceived("\r\n", within.minusNanos(System.nanoTime() - start));
      return answer.substring(0, answer.indexOf("\r\n"));
    }
  }

  static void answers(ChorusNode node, String path, Duration within) throws Exception {
    assertEquals("HTTP/1.1 200 OK", probe(node, path, within), path + " within " + within + " beside " + HALF_SENT + " half-sent requests");
  }

  @Test
  void halfSentRequestsDoNotStarveTheProbesAndAreClosedAtTheIdleTimeout() throws Exception {
    ChorusNode node = NODE.node();
    Config http = node.system().settings().config().getConfig("pekko.http.server");
    Duration idle = http.getDuration("idle-timeout");
    assertTrue(http.getInt("max-connections") > HALF_SENT, "the cap leaves the probes room beside " + HALF_SENT);
    int port = node.managementUri().getPort();
    List<RawSocket> sockets = new ArrayList<>();
    try (PhxClient witness = PhxClient.connect(NODE.port())) {
      witness.join("room:starvation-witness");
      answers(node, "/ready", Duration.ofSeconds(5));
      for (int i = 0; i < HALF_SENT; i++) sockets.add(RawSocket.open(port).send("GET /ali"));
      long opened = System.nanoTime();
      // The server takes connections in order: once this first probe is answered, it holds all
      // 1 100 (a starved port would not answer it at all, a full one only after 10 s).
      answers(node, "/alive", Duration.ofSeconds(5));
      for (int round = 0; round < 3; round++) {
        answers(node, "/alive", Duration.ofSeconds(1));
        answers(node, "/ready", Duration.ofSeconds(1));
        witness.assertHeartbeatAnswered();
      }
      // Each is closed once it has been silent for the idle timeout (measured from when the
      // last was opened, plus a margin for closing 1 100 connections on a busy machine).
      Duration left = idle.plus(Duration.ofSeconds(5)).minusNanos(System.nanoTime() - opened);
      long end = System.nanoTime() + left.toNanos();
      int closed = 0;
      for (RawSocket s : sockets) {
        s.awaitClosed(Duration.ofNanos(Math.max(1_000_000, end - System.nanoTime())));
        closed++;
      }
      assertEquals(HALF_SENT, closed);
      answers(node, "/alive", Duration.ofSeconds(1));
      witness.assertHeartbeatAnswered();
    } finally {
      for (RawSocket s : sockets) s.close();
    }
  }
}
