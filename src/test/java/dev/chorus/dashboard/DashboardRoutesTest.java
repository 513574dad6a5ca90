package dev.chorus.dashboard;

import static org.junit.jupiter.api.Assertions.*;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.ChorusNode;
import dev.chorus.metrics.Metrics;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The dashboard's sign-in, session cookie and the APIs served again for a session, over HTTP on a real node. */
class DashboardRoutesTest {
  static final String KEY = "dashboard-test-key";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient(); // follows no redirects, keeps no cookies

  static HttpResponse<String> send(ChorusNode node, String method, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(node.managementUri().resolve(path)).timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) b.headers(headers);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> signIn(ChorusNode node, String key) throws Exception {
    return send(node, "POST", "/dashboard/login", "key=" + URLEncoder.encode(key, StandardCharsets.UTF_8),
        "Content-Type", "application/x-www-form-urlencoded");
  }

  /** The session cookie ("chorus_dashboard=...") a successful sign-in set. */
  static String cookie(HttpResponse<String> signedIn) {
    assertEquals(303, signedIn.statusCode(), signedIn.body());
    String set = signedIn.headers().firstValue("set-cookie").orElseThrow();
    return set.substring(0, set.indexOf(';'));
  }

  /**
   * The messages an appender got so far, copied under its lock: Pekko HTTP's threads log the
   * audit line after the response, while the test reads.
   */
  static List<String> messages(ListAppender<ILoggingEvent> appender) {
    synchronized (appender) { // AppenderBase.doAppend holds it
      return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  @Test
  void theRightKeyGivesASessionCookieThatOpensTheApisAndNothingElse() throws Exception {
    try (ChorusNode node = TestNode.start("chorus.admin.key = \"" + KEY + "\"")) {
      HttpResponse<String> bare = send(node, "GET", "/dashboard", null);
      assertEquals(308, bare.statusCode());
      assertEquals("/dashboard/", bare.headers().firstValue("location").orElse(""));

      HttpResponse<String> form = send(node, "GET", "/dashboard/", null);
      assertEquals(200, form.statusCode());
      assertTrue(form.body().contains("<form method=\"post\" action=\"/dashboard/login\""), form.body());
      assertTrue(form.headers().firstValue("content-security-policy").orElse("").contains("frame-ancestors 'none'"));

      HttpResponse<String> wrong = signIn(node, "not-the-key");
      assertEquals(401, wrong.statusCode());
      assertTrue(wrong.body().contains(DashboardRoutes.WRONG_KEY));
      assertTrue(wrong.headers().firstValue("set-cookie").isEmpty());
      assertEquals(1, Metrics.get(node.system().classicSystem()).managementRefusedBy("dashboard_sign_in"));

      HttpResponse<String> ok = signIn(node, KEY);
      assertEquals("/dashboard/", ok.headers().firstValue("location").orElse(""));
      String set = ok.headers().firstValue("set-cookie").orElseThrow();
      for (String attribute : List.of("HttpOnly", "SameSite=Strict", "Path=/dashboard", "Max-Age=43200")) {
        assertTrue(set.contains(attribute), attribute + " in " + set);
      }
      assertFalse(set.contains(KEY), "the cookie never holds the key");
      String cookie = cookie(ok);

      HttpResponse<String> app = send(node, "GET", "/dashboard/", null, "Cookie", cookie);
      assertEquals(200, app.statusCode());
      assertTrue(app.body().contains("assets/app.js"), "the app, not the form: " + app.body());
      assertTrue(app.headers().firstValue("content-security-policy").isPresent());

      HttpResponse<String> connections = send(node, "GET", "/dashboard/admin/connections", null, "Cookie", cookie);
      assertEquals(200, connections.statusCode(), connections.body());
      assertEquals(0, JSON.readTree(connections.body()).path("connections").asInt(-1));
      assertEquals("no-store", connections.headers().firstValue("cache-control").orElse(""), "the browser keeps no copy");
      // the API for backends too, though chorus.api.key is not set (the session stands for a key)
      HttpResponse<String> topics = send(node, "GET", "/dashboard/api/topics", null, "Cookie", cookie);
      assertEquals(200, topics.statusCode(), topics.body());

      for (String[] h : List.of(new String[0], new String[] {"Cookie", cookie.replace("chorus_dashboard=v1.", "chorus_dashboard=v1.1")},
          new String[] {"Cookie", "chorus_dashboard=" + KEY}, new String[] {"Authorization", "Bearer " + KEY})) {
        HttpResponse<String> r = send(node, "GET", "/dashboard/admin/connections", null, h);
        assertEquals(401, r.statusCode(), List.of(h) + ": " + r.body());
        assertTrue(JSON.readTree(r.body()).path("error").asText().contains("sign in"));
      }
      // and the cookie is no bearer key: the admin API itself still wants the key
      assertEquals(401, send(node, "GET", "/admin/connections", null, "Cookie", cookie).statusCode());
      assertEquals(200, send(node, "GET", "/admin/connections", null, "Authorization", "Bearer " + KEY).statusCode());

      HttpResponse<String> out = send(node, "POST", "/dashboard/logout", null, "Cookie", cookie);
      assertEquals(303, out.statusCode());
      assertTrue(out.headers().firstValue("set-cookie").orElse("").startsWith("chorus_dashboard=deleted"),
          out.headers().allValues("set-cookie").toString());
    }
  }

  @Test
  void anActionNeedsTheDashboardsHeaderAndIsWrittenToTheAuditLog() throws Exception {
    Logger audit = (Logger) LoggerFactory.getLogger("chorus.audit");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    audit.addAppender(lines);
    try (ChorusNode node = TestNode.start("chorus.admin.key = \"" + KEY + "\"");
        PhxClient client = PhxClient.connect(node.httpAddress().getPort())) {
      client.join("room:lobby");
      String cookie = cookie(signIn(node, KEY));
      String publish = "{\"topic\": \"room:lobby\", \"event\": \"notice\", \"payload\": {\"text\": \"from the dashboard\\nforged line\"}}";

      HttpResponse<String> noHeader = send(node, "POST", "/dashboard/api/publish", publish,
          "Cookie", cookie, "Content-Type", "application/json");
      assertEquals(403, noHeader.statusCode(), noHeader.body());
      assertEquals(1, Metrics.get(node.system().classicSystem()).managementRefusedBy("dashboard_csrf"));

      HttpResponse<String> published = send(node, "POST", "/dashboard/api/publish", publish,
          "Cookie", cookie, "Content-Type", "application/json", DashboardRoutes.ACTION_HEADER, "1");
      assertEquals(200, published.statusCode(), published.body());
      JsonNode frame = client.expect("the dashboard's publish", f -> f.path(3).asText().equals("notice"));
      assertEquals("from the dashboard\nforged line", frame.path(4).path("text").asText());

      TestNode.await("the publish in the audit log", Duration.ofSeconds(5), () -> messages(lines).stream()
          .anyMatch(m -> m.contains("POST /dashboard/api/publish") && m.contains("room:lobby") && m.endsWith("-> 200")));
      String line = messages(lines).stream()
          .filter(m -> m.contains("POST /dashboard/api/publish") && m.endsWith("-> 200")).findFirst().orElseThrow();
      assertFalse(line.contains("\n"), "one line, the body's newline escaped: " + line);
      assertTrue(line.contains(" from 127.0.0.1: "), "the client's address: " + line);
      assertTrue(messages(lines).stream().anyMatch(m -> m.contains("signed in from 127.0.0.1")));
    } finally {
      audit.detachAppender(lines);
    }
  }

  @Test
  void wrongKeysAreLimitedPerMinuteAndTheRightOneWaitsToo() throws Exception {
    try (ChorusNode node = TestNode.start("chorus.admin.key = \"" + KEY + "\"\nchorus.dashboard.failed-sign-ins-per-minute = 3")) {
      for (int i = 0; i < 3; i++) assertEquals(401, signIn(node, "guess-" + i).statusCode(), "guess " + i);
      HttpResponse<String> limited = signIn(node, KEY);
      assertEquals(429, limited.statusCode());
      assertTrue(limited.body().contains("try again in a minute"));
      assertEquals(1, Metrics.get(node.system().classicSystem()).managementRefusedBy("dashboard_sign_in_rate"));
      // the admin API itself is not locked out
      assertEquals(200, send(node, "GET", "/admin/connections", null, "Authorization", "Bearer " + KEY).statusCode());
    }
  }

  @Test
  void inProfileDevWithoutAnAdminKeyARandomKeyIsLoggedAndOpensTheDashboardOnly() throws Exception {
    Logger log = (Logger) LoggerFactory.getLogger(DashboardRoutes.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    log.addAppender(lines);
    try (ChorusNode node = TestNode.start()) {
      TestNode.await("the dashboard's key logged", Duration.ofSeconds(10),
          () -> messages(lines).stream().anyMatch(m -> m.contains("sign in with the key")));
      String message = messages(lines).stream()
          .filter(m -> m.contains("sign in with the key")).findFirst().orElseThrow();
      Matcher m = Pattern.compile("sign in with the key (\\S+)").matcher(message);
      assertTrue(m.find(), message);
      String key = m.group(1);
      assertTrue(key.length() >= 24, key);
      String cookie = cookie(signIn(node, key));
      assertEquals(200, send(node, "GET", "/dashboard/admin/connections", null, "Cookie", cookie).statusCode());
      assertEquals(403, send(node, "GET", "/admin/connections", null, "Authorization", "Bearer " + key).statusCode(),
          "the admin API stays off without chorus.admin.key");
    } finally {
      log.detachAppender(lines);
    }
  }

  @Test
  void inProfileProdWithoutAnAdminKeyThereIsNoDashboard() throws Exception {
    try (ChorusNode node = TestNode.start("chorus.profile = prod\nchorus.auth.hs256-secret = \"" + "s".repeat(32) + "\"")) {
      HttpResponse<String> page = send(node, "GET", "/dashboard/", null);
      assertEquals(403, page.statusCode());
      assertTrue(page.body().contains("chorus.admin.key"), page.body());
      assertFalse(page.body().contains("<form"));
      assertEquals(403, signIn(node, "").statusCode());
      assertEquals(401, send(node, "GET", "/dashboard/admin/connections", null).statusCode());
    }
  }

  @Test
  void assetsComeFromTheirFolderOnly() throws Exception {
    try (ChorusNode node = TestNode.start("chorus.admin.key = \"" + KEY + "\"")) {
      // uPlot, copied from the npm package by the build, is served beside the app's own files
      HttpResponse<String> uplot = send(node, "GET", "/dashboard/assets/uPlot.iife.min.js", null);
      assertEquals(200, uplot.statusCode(), "the build copies uPlot from src/test/js/node_modules/uplot");
      assertTrue(uplot.headers().firstValue("content-type").orElse("").contains("javascript"));
      assertEquals(200, send(node, "GET", "/dashboard/assets/app.js", null).statusCode());
      assertEquals(404, send(node, "GET", "/dashboard/assets/no-such-file.js", null).statusCode());
      for (String escape : List.of("/dashboard/assets/../../reference.conf", "/dashboard/assets/%2e%2e/%2e%2e/reference.conf",
          "/dashboard/assets/..%2f..%2freference.conf")) {
        int status = send(node, "GET", escape, null).statusCode();
        assertTrue(status == 404 || status == 400, escape + ": " + status);
      }
    }
  }
}
