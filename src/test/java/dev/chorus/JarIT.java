package dev.chorus;

import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.testkit.FreePorts;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The shaded jar starts as its own process, serves a WebSocket and the demo page, and stops on SIGTERM. */
class JarIT {

  static int freePort() throws IOException {
    return FreePorts.next();
  }

  static boolean listening(int port) {
    try (Socket probe = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException notYet) {
      return false;
    }
  }

  static String read(File log) {
    try {
      return Files.readString(log.toPath());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  @Test
  void helpExplainsTheFlags() throws Exception {
    File jar = new File(System.getProperty("chorus.jar", "target/chorus.jar"));
    Process p = new ProcessBuilder(java(), "-jar", jar.getPath(), "--help").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    for (String flag : new String[] {"--port", "CHORUS_PORT", "--cluster-port", "--seed-nodes", "--config"}) {
      assertTrue(out.contains(flag), "help mentions " + flag + ":\n" + out);
    }
  }

  @Test
  void theFatJarServesAWebSocket() throws Exception {
    File jar = new File(System.getProperty("chorus.jar", "target/chorus.jar"));
    assertTrue(jar.isFile(), "build the jar first: " + jar);
    int port = freePort();
    File log = File.createTempFile("chorus-jar", ".log");
    ProcessBuilder pb = new ProcessBuilder(java(), "-Xmx256m", "-jar", jar.getPath(), "--cluster-port", "0", "--management-port", "0")
        .redirectErrorStream(true)
        .redirectOutput(log);
    pb.environment().put("CHORUS_PORT", String.valueOf(port)); // as an operator would set it
    Process p = pb.start();
    p.getOutputStream().close();
    try {
      TestNode.await("the jar to listen on " + port, Duration.ofSeconds(60), Duration.ofMillis(100), () -> {
        if (!p.isAlive()) throw new AssertionError("the jar exited early:\n" + read(log));
        return listening(port);
      }, () -> read(log));
      try (PhxClient s = PhxClient.connect(port)) {
        s.sendJoin("room:lobby", "1", "{}");
        assertEquals("ok", PhxClient.status(s.nextReply("1")));
        s.sendText("[\"1\",\"2\",\"room:lobby\",\"msg\",{\"body\":\"from the jar test\"}]");
        // room has presence on by default: presence_state and presence_diff frames come too
        StringBuilder seen = new StringBuilder();
        String broadcast = "\"room:lobby\",\"msg\",{\"body\":\"from the jar test\"}]"; // after [null,"<epoch>:<seq>",
        while (!seen.toString().contains(broadcast)) seen.append(s.receiveText()).append('\n');
        assertTrue(seen.toString().contains("\"presence_state\""), "presence is on in the default namespace: " + seen);
      }
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> page = http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      assertEquals(200, page.statusCode());
      assertTrue(page.body().contains("/phoenix.js"), "the demo page loads the client from the node");
      HttpResponse<String> client = http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/phoenix.js")).build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      assertEquals(200, client.statusCode());
      assertTrue(client.body().contains("Phoenix"), "phoenix.js is served from the npm package");

      p.destroy(); // SIGTERM: CoordinatedShutdown runs and the process ends
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the jar did not stop on SIGTERM:\n" + Files.readString(log.toPath()));
    } finally {
      p.destroyForcibly();
    }
  }
}
