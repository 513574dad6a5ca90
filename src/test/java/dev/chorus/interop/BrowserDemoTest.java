package dev.chorus.interop;

import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.ChorusNode;
import dev.chorus.testkit.NodeScript;
import dev.chorus.testkit.TestNode;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The demo page (src/main/web/index.html, served by the node with phoenix.js from the npm
 * package) in a real headless Chromium: src/test/js/browser-demo.mjs drives it with
 * playwright-core, two users who see each other online and chat both ways, and saves
 * screenshots of both pages under target/browser. Chromium is Debian's package, which
 * src/test/browser/ensure-chromium.sh installs in the Maven build; without it these tests
 * fail, they do not skip.
 */
class BrowserDemoTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void twoUsersChatAndSeeEachOtherOverWebSocket() throws Exception {
    run("websocket", false);
  }

  @Test
  void twoUsersChatAndSeeEachOtherOverLongPoll() throws Exception {
    run("longpoll", true);
  }

  /** WebSockets that get no answer: the page must fall back to LongPoll by itself. */
  @Test
  void thePageFallsBackToLongPollWhenWebSocketsAreBlocked() throws Exception {
    run("fallback", true);
  }

  private static void run(String mode, boolean needsLongPoll) throws Exception {
    File dir = new File("src/test/js");
    assertTrue(new File(dir, "node_modules/playwright-core").isDirectory(),
        "npm packages missing: run `mvn -B verify` (its npm ci step installs them)");
    // Presence is on in `room` in the embedded defaults (reference.conf), the namespace the page
    // joins; TestNode turns it off for tests of exact frame sequences, so it is turned back on.
    String config = "chorus.namespaces.room.presence = on";
    // LongPoll has no close: the session of a closed tab ends chorus.longpoll.idle-timeout
    // (15 s) after its last poll, and only then does it leave the presence list. Shorter here, so
    // that the check of a closed tab waits seconds, not half a minute.
    if (needsLongPoll) config += "\nchorus.longpoll { window = 1 s, idle-timeout = 2 s }";
    try (ChorusNode node = TestNode.start(config)) {
      String base = "http://127.0.0.1:" + node.httpAddress().getPort();
      assertEquals(200, get(base + "/"), "the node does not serve the demo page (web/index.html on the classpath)");
      assertEquals(200, get(base + "/phoenix.js"),
          "the node does not serve phoenix.js (the build copies it from src/test/js/node_modules/phoenix)");
      if (needsLongPoll && get(base + "/socket/longpoll") == 404) {
        Assumptions.abort("LongPoll transport not built yet: GET /socket/longpoll is 404");
      }

      File shots = new File("target/browser");
      // the script bounds itself at 90 s; 150 s is the backstop
      NodeScript.Outcome run = NodeScript.run("browser-demo.mjs", List.of(mode),
          Map.of("CHORUS_HTTP", base, "CHORUS_SCREENSHOTS", shots.getAbsolutePath()), new File(shots, mode + ".log"),
          Duration.ofSeconds(150));
      assertTrue(run.ended(), "browser-demo.mjs " + mode + " did not end:\n" + run.output());
      assertEquals(0, run.exitValue(), "browser-demo.mjs " + mode + " failed:\n" + run.output());
      assertTrue(run.output().contains("7 passed, 0 failed"), run.output());
    }
  }

  private static int get(String url) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build();
    return HTTP.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
