package dev.chorus.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.FreePorts;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/grafana/chorus.json and deploy/prometheus/chorus-alerts.yml: they parse, name only
 * metrics a real node exports (scraped from a node with hooks and webhooks on, after the events
 * that create the labelled series), every panel has a title and a query, every alert a severity,
 * a summary and a runbook entry in docs/operations.md; and promtool accepts the rules and passes
 * their unit tests (chorus-alerts.test.yml: the alerts fire on failures and not on a healthy
 * cluster). promtool comes from Debian's prometheus package (src/test/prometheus/ensure-promtool.sh,
 * run by the build).
 */
class GrafanaAndAlertsTest {
  static final Path DASHBOARD = Path.of("deploy/grafana/chorus.json");
  static final Path RULES = Path.of("deploy/prometheus/chorus-alerts.yml");
  static final Path RULE_TESTS = Path.of("deploy/prometheus/chorus-alerts.test.yml");
  static final Path OPERATIONS = Path.of("docs/operations.md");
  /** Series Prometheus writes itself, per scrape target: no node exports them. */
  static final Set<String> PROMETHEUS_OWN = Set.of("up");

  static JsonNode dashboard;
  static JsonNode rules;

  @BeforeAll
  static void load() throws IOException {
    dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    rules = new YAMLMapper().readTree(RULES.toFile());
  }

  @Test
  void everyPanelHasATitleAndAQuery() {
    List<JsonNode> panels = panels();
    assertTrue(panels.size() >= 15, "the issue's panels: " + panels.size());
    Set<String> titles = new TreeSet<>();
    for (JsonNode p : panels) {
      String title = p.path("title").asText();
      assertFalse(title.isBlank(), "a panel without a title: " + p);
      assertTrue(titles.add(title), "two panels titled " + title);
      JsonNode targets = p.path("targets");
      assertTrue(targets.isArray() && !targets.isEmpty(), title + ": no target");
      for (JsonNode t : targets) {
        assertFalse(t.path("expr").asText().isBlank(), title + ": a target without a query");
        assertEquals("${datasource}", t.path("datasource").path("uid").asText(), title + ": the datasource variable");
      }
    }
    for (String needed : List.of("Connections", "Joins/s", "Publishes/s", "Deliveries/s", "Fan-out latency p50 / p99",
        "Slow-consumer closes/s by reason", "Refused connections/s by reason", "Cross-node deliveries/s",
        "Heap: used, after GC, max", "GC time (fraction of wall time)", "CPU (cores)", "Cluster members by status",
        "Unreachable members", "Join refusals/s by reason", "Webhook events dropped/s by reason", "Hook errors/s by hook and kind")) {
      assertTrue(titles.contains(needed), "no panel " + needed + " in " + titles);
    }
  }

  @Test
  void theDashboardHasADatasourceAndANodeVariable() {
    assertTrue(dashboard.path("schemaVersion").asInt() >= 36, "a current Grafana schema");
    TreeMap<String, JsonNode> variables = new TreeMap<>();
    for (JsonNode v : dashboard.path("templating").path("list")) variables.put(v.path("name").asText(), v);
    assertEquals("datasource", variables.get("datasource").path("type").asText());
    assertEquals("prometheus", variables.get("datasource").path("query").asText());
    assertTrue(variables.containsKey("instance"), "a variable per node: " + variables.keySet());
    for (JsonNode p : panels()) {
      for (JsonNode t : p.path("targets")) {
        for (String metric : metricNames(t.path("expr").asText())) {
          assertTrue(t.path("expr").asText().contains("instance=~\"$instance\""),
              p.path("title").asText() + ": " + metric + " not narrowed to the chosen nodes");
        }
      }
    }
  }

  @Test
  void everyAlertHasASeverityASummaryAndARunbookEntry() throws IOException {
    Set<String> anchors = anchors(Files.readString(OPERATIONS, StandardCharsets.UTF_8));
    Set<String> names = new TreeSet<>();
    for (JsonNode rule : alertRules()) {
      String name = rule.path("alert").asText();
      assertTrue(names.add(name), "two alerts named " + name);
      assertFalse(rule.path("expr").asText().isBlank(), name);
      assertFalse(rule.path("for").asText().isBlank(), name + ": no `for` (an alert on one sample pages on noise)");
      assertTrue(Set.of("warning", "critical").contains(rule.path("labels").path("severity").asText()), name + ": severity");
      assertFalse(rule.path("annotations").path("summary").asText().isBlank(), name + ": summary");
      assertFalse(rule.path("annotations").path("description").asText().isBlank(), name + ": description");
      String runbook = rule.path("annotations").path("runbook_url").asText();
      assertTrue(runbook.startsWith("docs/operations.md#"), name + ": runbook_url " + runbook);
      String anchor = runbook.substring(runbook.indexOf('#') + 1);
      assertTrue(anchors.contains(anchor), name + ": no heading for #" + anchor + " in " + OPERATIONS);
    }
    for (String needed : List.of("ChorusSlowConsumerCloses", "ChorusConnectionsRefused", "ChorusMembersUnreachable",
        "ChorusFanoutLatencyHigh", "ChorusHeapAfterGcHigh", "ChorusJoinRefusalsHigh", "ChorusWebhookDrops")) {
      assertTrue(names.contains(needed), "the issue's alert " + needed + " is missing: " + names);
    }
  }

  /**
   * The metrics both files name, against a real node's /metrics. Labelled counters appear once
   * they have a sample, so the node first sees each: a refused upgrade, a refused join, a closed
   * connection, a failing join hook (its breaker then open), a management request without the key;
   * the webhook sender (pointed at a closed port) lists its drop reasons from the start.
   */
  @Test
  void everyMetricNamedIsExportedByANode() throws Exception {
    Set<String> named = new TreeSet<>();
    for (JsonNode p : panels()) for (JsonNode t : p.path("targets")) named.addAll(metricNames(t.path("expr").asText()));
    for (JsonNode rule : alertRules()) named.addAll(metricNames(rule.path("expr").asText()));
    named.removeAll(PROMETHEUS_OWN);
    assertTrue(named.size() > 20, "names found: " + named);

    int closed = FreePorts.next(); // nothing listens: the hook and the webhooks fail to connect
    try (ChorusNode node = TestNode.start("""
        chorus.admin.key = "obs-key"
        chorus.webhooks.url = "http://127.0.0.1:%d/webhooks"
        chorus.namespaces.hooked.hooks.join { url = "http://127.0.0.1:%d/join", breaker-max-failures = 1 }
        """.formatted(closed, closed))) {
      int port = node.httpAddress().getPort();
      try {
        PhxClient.connect(port, "vsn=9.9.9").close();
        fail("an unknown protocol version is refused");
      } catch (PhxClient.UpgradeRefused expected) {
        // counted in chorus_connections_refused_total{reason="version"}
      }
      try (PhxClient c = PhxClient.connect(port)) {
        for (String topic : List.of("nosuch:1", "hooked:1", "hooked:2")) {
          c.sendJoin(topic, topic, "{}");
          assertEquals("error", PhxClient.status(c.reply(topic)), topic + " is refused");
        }
      }
      HttpResponse<String> unauthorized = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(node.managementUri().resolve("/admin/connections")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(401, unauthorized.statusCode());
      TestNode.await("the client's connection counted closed", Duration.ofSeconds(10),
          () -> node.metrics().connectionsClosed.sum() == 1);

      Set<String> exported = sampleNames(scrape(node));
      Set<String> missing = new TreeSet<>(named);
      missing.removeAll(exported);
      assertTrue(missing.isEmpty(), "named in deploy/ but not exported by a node: " + missing + "\nexported: " + exported);
    }
  }

  @Test
  void promtoolAcceptsTheRulesAndPassesTheirTests() throws Exception {
    String promtool = promtool();
    assertPromtool(List.of(promtool, "check", "rules", RULES.getFileName().toString()), "SUCCESS: " + alertRules().size() + " rules found");
    assertPromtool(List.of(promtool, "test", "rules", RULE_TESTS.getFileName().toString()), "SUCCESS");
  }

  @Test
  void metricNamesAreTheSeriesOfAnExpression() {
    assertEquals(Set.of("chorus_fanout_latency_seconds_bucket", "chorus_fanout_latency_seconds_count"), metricNames(
        "histogram_quantile(0.99, sum by (instance, le) (rate(chorus_fanout_latency_seconds_bucket{job=~\"$job\",le!=\"x y\"}[5m])))"
            + " > 0.1\n and sum by (instance) (rate(chorus_fanout_latency_seconds_count[$__rate_interval])) > 1"));
    assertEquals(Set.of("up"), metricNames("absent(up{job=\"chorus\"} == 1)"));
    assertEquals(Set.of("a_total", "b"), metricNames("max(a_total) != min(b offset 5m) or vector(0)"));
    assertEquals(Set.of("x"), metricNames("sum without (reason) (x) / on (instance) group_left (pod) sum(x)"));
  }

  // --- helpers ---

  private static List<JsonNode> panels() {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode p : dashboard.path("panels")) {
      if ("row".equals(p.path("type").asText())) {
        for (JsonNode inner : p.path("panels")) out.add(inner); // a collapsed row keeps its panels inside
      } else {
        out.add(p);
      }
    }
    return out;
  }

  private static List<JsonNode> alertRules() {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode group : rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) out.add(rule);
    }
    assertFalse(out.isEmpty(), "no rules in " + RULES);
    return out;
  }

  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
  private static final Pattern BRACES = Pattern.compile("\\{[^}]*}");
  private static final Pattern BRACKETS = Pattern.compile("\\[[^]]*]");
  private static final Pattern GROUPING = Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern OFFSET = Pattern.compile("\\boffset\\s+-?[0-9a-z]+");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "by", "without", "on", "ignoring",
      "group_left", "group_right", "offset", "inf", "nan");

  /**
   * The series a PromQL expression reads: its identifiers once strings, label matchers, ranges,
   * grouping labels and offsets are gone, less keywords and the names of what is called
   * (functions, aggregations).
   */
  static Set<String> metricNames(String expr) {
    String s = STRING.matcher(expr).replaceAll("\"\"");
    s = BRACES.matcher(s).replaceAll(" ");
    s = BRACKETS.matcher(s).replaceAll(" ");
    s = GROUPING.matcher(s).replaceAll(" ");
    s = OFFSET.matcher(s).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      String word = m.group();
      if (m.start() > 0 && (Character.isDigit(s.charAt(m.start() - 1)) || s.charAt(m.start() - 1) == '.')) continue; // 5m, 1e3
      if (KEYWORDS.contains(word.toLowerCase(Locale.ROOT))) continue;
      int next = m.end();
      while (next < s.length() && Character.isWhitespace(s.charAt(next))) next++;
      if (next < s.length() && s.charAt(next) == '(') continue; // a function or an aggregation
      names.add(word);
    }
    return names;
  }

  /** GitHub's anchors of a Markdown file's headings: lower case, punctuation dropped, spaces as hyphens. */
  static Set<String> anchors(String markdown) {
    Set<String> out = new TreeSet<>();
    for (String line : markdown.split("\n")) {
      if (!line.startsWith("#")) continue;
      String heading = line.replaceFirst("^#+\\s*", "").trim().toLowerCase(Locale.ROOT);
      out.add(heading.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
    }
    return out;
  }

  private static String scrape(ChorusNode node) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(node.managementUri().resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return r.body();
  }

  /** The names of the samples in a text-format scrape (histograms as _bucket, _sum, _count). */
  static Set<String> sampleNames(String text) {
    Set<String> names = new TreeSet<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      Matcher m = IDENTIFIER.matcher(line);
      if (m.lookingAt()) names.add(m.group());
    }
    return names;
  }

  /** promtool from PROMTOOL_PATH, target/promtool (ensure-promtool.sh) or the PATH. */
  private static String promtool() {
    List<String> candidates = new ArrayList<>();
    String env = System.getenv("PROMTOOL_PATH");
    if (env != null && !env.isBlank()) candidates.add(env);
    candidates.add(Path.of("target/promtool/promtool").toAbsolutePath().toString());
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (!dir.isBlank()) candidates.add(Path.of(dir, "promtool").toString());
    }
    for (String c : candidates) {
      if (Files.isExecutable(Path.of(c))) return c;
    }
    throw new AssertionError("no promtool (looked at " + candidates + "): the build fetches it from Debian's prometheus"
        + " package (src/test/prometheus/ensure-promtool.sh, skipped with -DskipPromtool=true); or set PROMTOOL_PATH");
  }

  /** Runs promtool in deploy/prometheus (the test file names the rules relative to itself). */
  private static void assertPromtool(List<String> command, String expected) throws Exception {
    Process p = new ProcessBuilder(command).directory(RULES.getParent().toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
    assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
    assertTrue(out.contains(expected), String.join(" ", command) + ":\n" + out);
  }
}
