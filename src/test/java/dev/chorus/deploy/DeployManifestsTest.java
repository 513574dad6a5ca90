package dev.chorus.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.chorus.room.Namespaces;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The files under deploy/, which are no Java code (hence a test package of its own, named after
 * the folder; deploy/README.md points here): the Kubernetes manifests match the Kubernetes
 * schemas (kubernetes-models, npm) and agree with each other and with the node's default ports
 * (4000, 7626, 25520): probes on /ready and /alive of the management port, a grace period over
 * preStop, the drain window and leaving, selectors, RBAC for Cluster Bootstrap, the bootstrap
 * HOCON; the Dockerfile exposes those ports and runs the jar as a non-root user; the local
 * cluster scripts are strict bash that parses.
 */
class DeployManifestsTest {

  static final Path DEPLOY = Path.of("deploy");
  static final Path KUBERNETES = DEPLOY.resolve("kubernetes");
  static final int WS_PORT = 4000;
  static final int MANAGEMENT_PORT = 7626;
  static final int CLUSTER_PORT = 25520;
  static final Set<String> WORKLOAD_KINDS = Set.of("Deployment", "StatefulSet");

  record Doc(Path file, JsonNode node) {
    String kind() {
      return node.path("kind").asText();
    }

    String name() {
      return node.path("metadata").path("name").asText();
    }

    @Override
    public String toString() {
      return file.getFileName() + ":" + kind() + "/" + name();
    }
  }

  static List<Doc> docs;

  @BeforeAll
  static void load() throws IOException {
    assertTrue(Files.isDirectory(KUBERNETES), "no " + KUBERNETES.toAbsolutePath());
    YAMLMapper yaml = new YAMLMapper();
    docs = new ArrayList<>();
    for (Path file : manifestFiles()) {
      try (MappingIterator<JsonNode> it = yaml.readerFor(JsonNode.class).readValues(file.toFile())) {
        while (it.hasNext()) {
          JsonNode node = it.next();
          if (node != null && !node.isMissingNode() && !node.isNull() && !node.isEmpty()) {
            docs.add(new Doc(file, node));
          }
        }
      }
    }
    assertFalse(docs.isEmpty(), "no manifests under " + KUBERNETES);
  }

  /**
   * The base's manifests: the YAML files of deploy/kubernetes itself. Its subfolders are
   * kustomize components for it (tls/: the cluster link over mutual TLS), whose patches would
   * read as second Deployments here; DeployTlsTest checks them.
   */
  static List<Path> manifestFiles() throws IOException {
    try (Stream<Path> files = Files.list(KUBERNETES)) {
      return files
          .filter(Files::isRegularFile)
          .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
          .filter(p -> !p.getFileName().toString().startsWith("kustomization."))
          .sorted()
          .toList();
    }
  }

  static List<Doc> ofKind(String kind) {
    return docs.stream().filter(d -> d.kind().equals(kind)).toList();
  }

  static Doc one(String kind, String name) {
    return ofKind(kind).stream().filter(d -> d.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " in " + docs));
  }

  static Doc workload() {
    List<Doc> workloads = docs.stream().filter(d -> WORKLOAD_KINDS.contains(d.kind())).toList();
    assertEquals(1, workloads.size(), "one Deployment or StatefulSet: " + workloads);
    return workloads.get(0);
  }

  static JsonNode podSpec() {
    return workload().node().path("spec").path("template").path("spec");
  }

  static JsonNode chorusContainer() {
    JsonNode containers = podSpec().path("containers");
    assertEquals(1, containers.size(), "one container in the pod");
    return containers.get(0);
  }

  static Map<String, String> labels(JsonNode map) {
    Map<String, String> m = new HashMap<>();
    map.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
    return m;
  }

  static Map<String, String> templateLabels() {
    return labels(workload().node().path("spec").path("template").path("metadata").path("labels"));
  }

  /** The container's ports by name. */
  static Map<String, Integer> containerPorts() {
    Map<String, Integer> ports = new HashMap<>();
    for (JsonNode p : chorusContainer().path("ports")) {
      ports.put(p.path("name").asText(), p.path("containerPort").asInt());
    }
    return ports;
  }

  static JsonNode env(String name) {
    for (JsonNode e : chorusContainer().path("env")) {
      if (e.path("name").asText().equals(name)) return e;
    }
    return fail("no env " + name + " in the container");
  }

  static Config kubernetesConf() {
    JsonNode data = configMapOfWorkload().path("data");
    String hocon = data.path("kubernetes.conf").asText(null);
    assertNotNull(hocon, "the ConfigMap has no kubernetes.conf");
    return ConfigFactory.parseString(hocon).resolve();
  }

  static JsonNode configMapOfWorkload() {
    for (JsonNode v : podSpec().path("volumes")) {
      if (v.has("configMap")) return one("ConfigMap", v.path("configMap").path("name").asText()).node();
    }
    return fail("the pod mounts no ConfigMap");
  }

  static String text(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  /** Schema check: kubernetes-models' bundled Kubernetes schemas (npm, src/test/js/validate-k8s.mjs). */
  @Test
  void everyManifestMatchesTheKubernetesSchemas() throws Exception {
    Path js = Path.of("src/test/js");
    assertTrue(Files.isDirectory(js.resolve("node_modules/kubernetes-models")),
        "npm packages missing: run `mvn -B verify` (its npm ci step installs them)");
    List<String> command = new ArrayList<>(List.of("node", "validate-k8s.mjs"));
    for (Path file : manifestFiles()) command.add(file.toAbsolutePath().toString());
    Process p = new ProcessBuilder(command).directory(js.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains(" 0 failed"), out);
  }

  @Test
  void everyDocumentHasApiVersionKindAndName() {
    for (Doc d : docs) {
      assertFalse(d.node().path("apiVersion").asText().isBlank(), d.file() + ": a document without apiVersion");
      assertFalse(d.kind().isBlank(), d.file() + ": a document without kind");
      assertFalse(d.name().isBlank(), d.file() + ": a " + d.kind() + " without metadata.name");
    }
    Set<String> seen = new HashSet<>();
    for (Doc d : docs) {
      assertTrue(seen.add(d.kind() + "/" + d.name()), "twice: " + d);
    }
  }

  @Test
  void kustomizationListsEveryManifest() throws IOException {
    Path kustomization = KUBERNETES.resolve("kustomization.yaml");
    if (!Files.exists(kustomization)) return;
    JsonNode k = new YAMLMapper().readTree(kustomization.toFile());
    Set<String> listed = new TreeSet<>();
    k.path("resources").forEach(r -> listed.add(r.asText()));
    Set<String> files = manifestFiles().stream()
        .map(p -> KUBERNETES.relativize(p).toString().replace('\\', '/'))
        .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(files, listed, "kustomization.yaml resources vs the files beside it");
  }

  @Test
  void containerPortsAndEnvironmentAgree() {
    Map<String, Integer> ports = containerPorts();
    assertEquals(WS_PORT, ports.get("ws"), "port ws");
    assertEquals(MANAGEMENT_PORT, ports.get("management"), "port management");
    assertEquals(CLUSTER_PORT, ports.get("remoting"), "port remoting");
    assertEquals(String.valueOf(WS_PORT), env("CHORUS_PORT").path("value").asText());
    assertEquals(String.valueOf(MANAGEMENT_PORT), env("CHORUS_MANAGEMENT_PORT").path("value").asText());
    assertEquals(String.valueOf(CLUSTER_PORT), env("CHORUS_CLUSTER_PORT").path("value").asText());
    assertEquals("0.0.0.0", env("CHORUS_HOST").path("value").asText());
    assertEquals("status.podIP",
        env("CHORUS_CLUSTER_HOST").path("valueFrom").path("fieldRef").path("fieldPath").asText(),
        "other nodes reach this one at the pod IP");
    JsonNode managementHost = env("CHORUS_MANAGEMENT_HOST");
    assertTrue(managementHost.path("value").asText().equals("0.0.0.0")
            || managementHost.path("valueFrom").path("fieldRef").path("fieldPath").asText().equals("status.podIP"),
        "management host: the pod IP or every interface");
    assertEquals("on", env("CHORUS_CLUSTER_BOOTSTRAP").path("value").asText());
    JsonNode key = env("CHORUS_ADMIN_KEY").path("valueFrom").path("secretKeyRef");
    assertFalse(key.path("name").asText().isBlank(), "CHORUS_ADMIN_KEY comes from a Secret");
    assertFalse(key.path("key").asText().isBlank(), "CHORUS_ADMIN_KEY comes from a Secret");
  }

  @Test
  void probesHitReadyAndAliveOnTheManagementPort() {
    JsonNode c = chorusContainer();
    assertProbe(c.path("readinessProbe"), "/ready");
    assertProbe(c.path("livenessProbe"), "/alive");
    if (c.has("startupProbe")) assertProbe(c.path("startupProbe"), "/alive");
  }

  static void assertProbe(JsonNode probe, String path) {
    JsonNode get = probe.path("httpGet");
    assertEquals(path, get.path("path").asText(), "path of the probe that should ask " + path);
    JsonNode port = get.path("port");
    if (port.isInt()) {
      assertEquals(MANAGEMENT_PORT, port.asInt(), path + " probe port");
    } else {
      assertEquals(MANAGEMENT_PORT, containerPorts().get(port.asText()), path + " probe port " + port.asText());
    }
  }

  @Test
  void gracePeriodCoversPreStopDrainAndLeaving() {
    int grace = podSpec().path("terminationGracePeriodSeconds").asInt(30);
    assertTrue(grace >= 45, "terminationGracePeriodSeconds " + grace + " < 45");
    long preStop = 0;
    JsonNode command = chorusContainer().path("lifecycle").path("preStop").path("exec").path("command");
    if (command.size() == 2 && command.get(0).asText().equals("sleep")) {
      preStop = Long.parseLong(command.get(1).asText());
    }
    assertTrue(preStop > 0 && preStop <= 15, "a short preStop sleep, got " + command);
    Config conf = kubernetesConf();
    Duration drain = conf.hasPath("chorus.drain.window") ? conf.getDuration("chorus.drain.window") : Duration.ofSeconds(30);
    // The drain's shutdown phase may last the window + 15 s (Settings); leaving the cluster
    // and handing over the rooms takes some seconds more.
    long needed = preStop + drain.toSeconds() + 15 + 10;
    assertTrue(grace >= needed, "terminationGracePeriodSeconds " + grace + " < preStop " + preStop
        + " s + drain window " + drain.toSeconds() + " s + 15 s + 10 s to leave");
  }

  @Test
  void selectorsMatchThePodTemplate() {
    Map<String, String> pod = templateLabels();
    assertEquals("chorus", pod.get("app"));
    Map<String, String> selector = labels(workload().node().path("spec").path("selector").path("matchLabels"));
    assertFalse(selector.isEmpty(), "the workload has a selector");
    assertTrue(pod.entrySet().containsAll(selector.entrySet()), "workload selector " + selector + " vs pod " + pod);

    List<Doc> services = ofKind("Service");
    assertTrue(services.size() >= 2, "a client Service and a headless one");
    for (Doc s : services) {
      Map<String, String> sel = labels(s.node().path("spec").path("selector"));
      assertFalse(sel.isEmpty(), s + " has a selector");
      assertTrue(pod.entrySet().containsAll(sel.entrySet()), s + " selector " + sel + " vs pod " + pod);
      for (JsonNode p : s.node().path("spec").path("ports")) {
        JsonNode target = p.path("targetPort");
        if (target.isTextual()) {
          assertTrue(containerPorts().containsKey(target.asText()), s + ": no container port " + target);
        }
      }
    }
    assertTrue(services.stream().anyMatch(s -> s.node().path("spec").path("clusterIP").asText().equals("None")
            && s.node().path("spec").path("publishNotReadyAddresses").asBoolean()),
        "a headless Service that publishes not-ready pods");
    assertTrue(services.stream().anyMatch(s -> !s.node().path("spec").path("clusterIP").asText().equals("None")
            && servicePorts(s).contains(WS_PORT)),
        "a Service for clients on port " + WS_PORT);

    for (Doc pdb : ofKind("PodDisruptionBudget")) {
      Map<String, String> sel = labels(pdb.node().path("spec").path("selector").path("matchLabels"));
      assertTrue(!sel.isEmpty() && pod.entrySet().containsAll(sel.entrySet()), pdb + " selector " + sel);
      assertEquals(1, pdb.node().path("spec").path("maxUnavailable").asInt());
    }
    assertEquals(1, ofKind("PodDisruptionBudget").size(), "a PodDisruptionBudget");

    for (Doc policy : ofKind("NetworkPolicy")) {
      Map<String, String> sel = labels(policy.node().path("spec").path("podSelector").path("matchLabels"));
      assertTrue(!sel.isEmpty() && pod.entrySet().containsAll(sel.entrySet()), policy + " podSelector " + sel);
      for (JsonNode rule : policy.node().path("spec").path("ingress")) {
        for (JsonNode p : rule.path("ports")) {
          JsonNode port = p.path("port");
          assertTrue(port.isInt() || containerPorts().containsKey(port.asText()), policy + ": no container port " + port);
        }
      }
    }
  }

  static Set<Integer> servicePorts(Doc service) {
    Set<Integer> ports = new HashSet<>();
    service.node().path("spec").path("ports").forEach(p -> ports.add(p.path("port").asInt()));
    return ports;
  }

  @Test
  void roleLetsTheWorkloadsServiceAccountListPods() {
    String account = podSpec().path("serviceAccountName").asText();
    assertFalse(account.isBlank(), "the pod names its service account");
    one("ServiceAccount", account);
    Doc binding = ofKind("RoleBinding").stream()
        .filter(b -> {
          for (JsonNode s : b.node().path("subjects")) {
            if (s.path("kind").asText().equals("ServiceAccount") && s.path("name").asText().equals(account)) return true;
          }
          return false;
        })
        .findFirst().orElseThrow(() -> new AssertionError("no RoleBinding for ServiceAccount " + account));
    JsonNode ref = binding.node().path("roleRef");
    assertEquals("Role", ref.path("kind").asText());
    assertEquals("rbac.authorization.k8s.io", ref.path("apiGroup").asText());
    Doc role = one("Role", ref.path("name").asText());
    boolean readsPods = false;
    for (JsonNode rule : role.node().path("rules")) {
      Set<String> groups = strings(rule.path("apiGroups"));
      Set<String> resources = strings(rule.path("resources"));
      Set<String> verbs = strings(rule.path("verbs"));
      if (groups.contains("") && resources.contains("pods") && verbs.containsAll(Set.of("get", "watch", "list"))) {
        readsPods = true;
      }
    }
    assertTrue(readsPods, role + " allows get, watch and list on pods");
  }

  static Set<String> strings(JsonNode array) {
    Set<String> s = new HashSet<>();
    array.forEach(v -> s.add(v.asText()));
    return s;
  }

  @Test
  void configMapSetsUpClusterBootstrapThroughTheKubernetesApi() {
    JsonNode c = chorusContainer();
    List<String> args = new ArrayList<>();
    c.path("args").forEach(a -> args.add(a.asText()));
    int at = args.indexOf("--config");
    assertTrue(at >= 0 && at + 1 < args.size(), "args pass --config FILE: " + args);
    Path configFile = Path.of(args.get(at + 1));
    boolean mounted = false;
    for (JsonNode m : c.path("volumeMounts")) {
      if (configFile.startsWith(m.path("mountPath").asText())) mounted = true;
    }
    assertTrue(mounted, configFile + " is in a mounted volume");
    assertEquals("kubernetes.conf", configFile.getFileName().toString());

    Config conf = kubernetesConf();
    assertEquals("kubernetes-api", conf.getString("pekko.discovery.method"));
    String bootstrap = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    if (conf.hasPath(bootstrap + "discovery-method")) {
      String method = conf.getString(bootstrap + "discovery-method");
      assertTrue(method.equals("kubernetes-api") || method.equals("pekko.discovery"), "discovery-method " + method);
    }
    String portName = conf.getString(bootstrap + "port-name");
    assertEquals(MANAGEMENT_PORT, containerPorts().get(portName), "port-name " + portName + " is the management port");
    int required = conf.getInt(bootstrap + "required-contact-point-nr");
    int replicas = workload().node().path("spec").path("replicas").asInt(1);
    assertTrue(required >= 1 && required <= replicas,
        "required-contact-point-nr " + required + " must not exceed the replicas " + replicas);

    // The label selector the discovery asks the API for must select the pods.
    String serviceName = conf.hasPath(bootstrap + "service-name") ? conf.getString(bootstrap + "service-name") : "chorus";
    String selector = conf.hasPath("pekko.discovery.kubernetes-api.pod-label-selector")
        ? conf.getString("pekko.discovery.kubernetes-api.pod-label-selector") : "app=%s";
    Map<String, String> pod = templateLabels();
    for (String term : selector.replace("%s", serviceName).split(",")) {
      String[] kv = term.trim().split("=", 2);
      assertEquals(2, kv.length, "selector term " + term);
      assertEquals(kv[1], pod.get(kv[0]), "pod-label-selector " + selector + " (" + serviceName + ") vs pod " + pod);
    }
  }

  /**
   * The production configuration checks who minted a token and for whom and bounds its
   * lifetime, and bounds connections per node and per address; and it is a configuration the
   * node accepts (every key known, every value valid).
   */
  @Test
  void kubernetesConfChecksTokensAndBoundsConnections() {
    Config conf = kubernetesConf();
    assertFalse(conf.getString("chorus.auth.issuer").isBlank(), "chorus.auth.issuer is set");
    assertFalse(conf.getString("chorus.auth.audience").isBlank(), "chorus.auth.audience is set");
    Duration lifetime = conf.getDuration("chorus.auth.max-token-lifetime");
    assertTrue(!lifetime.isZero() && lifetime.compareTo(Duration.ofDays(7)) <= 0, "a token lifetime of days at most: " + lifetime);
    assertTrue(conf.getInt("chorus.http.max-connections-per-ip") > 0, "open connections per address are bounded");
    assertTrue(conf.getInt("chorus.http.max-connections") > 0);
    Config resolved = conf.withFallback(ConfigFactory.defaultReference()).resolve();
    dev.chorus.ChorusSettings.fromConfig(resolved.getConfig("chorus")); // throws for a bad value
    dev.chorus.auth.TokenVerifier.fromConfig(resolved.getConfig("chorus.auth")); // (no key here: the Secret has it)
  }

  /** Production keeps rate limits stricter than the friendly defaults (the configmap says why). */
  @Test
  void kubernetesConfKeepsStricterRateLimitsThanTheDefaults() {
    Config prod = kubernetesConf().withFallback(ConfigFactory.defaultReference()).resolve();
    Config defaults = ConfigFactory.defaultReference().resolve();
    for (String key : List.of("chorus.connection.inbound-rate", "chorus.connection.inbound-burst",
        "chorus.namespace-defaults.publish-rate", "chorus.namespace-defaults.publish-burst")) {
      assertTrue(prod.getDouble(key) < defaults.getDouble(key), key + ": " + prod.getDouble(key) + " not below " + defaults.getDouble(key));
    }
    for (String key : List.of("chorus.connection.flood-duration", "chorus.namespace-defaults.flood-duration")) {
      assertTrue(prod.getDuration(key).compareTo(defaults.getDuration(key)) < 0, key);
    }
    Namespaces namespaces = Namespaces.fromConfig(prod.getConfig("chorus"));
    assertEquals(prod.getInt("chorus.namespace-defaults.publish-burst"), namespaces.get("room").publishBurst(), "the room namespace takes them");
  }

  @Test
  void dockerfileExposesThePortsAndRunsTheJar() throws IOException {
    Path dockerfile = Files.exists(DEPLOY.resolve("docker/Dockerfile"))
        ? DEPLOY.resolve("docker/Dockerfile") : DEPLOY.resolve("Dockerfile");
    List<String> lines = text(dockerfile).lines()
        .map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .toList();
    assertTrue(lines.stream().anyMatch(l -> l.matches("(?i)FROM\\s+eclipse-temurin:17-jre.*")), "FROM eclipse-temurin:17-jre");
    Set<Integer> exposed = new HashSet<>();
    for (String l : lines) {
      if (l.toUpperCase().startsWith("EXPOSE ")) {
        for (String p : l.substring(7).trim().split("\\s+")) exposed.add(Integer.parseInt(p.replaceAll("/.*", "")));
      }
    }
    assertEquals(Set.of(WS_PORT, MANAGEMENT_PORT, CLUSTER_PORT), exposed, "EXPOSE");
    String entrypoint = lines.stream().filter(l -> l.toUpperCase().startsWith("ENTRYPOINT")).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no ENTRYPOINT"));
    assertTrue(entrypoint.contains("java") && entrypoint.contains("$JAVA_OPTS"), entrypoint);
    assertTrue(entrypoint.contains("-jar /app/chorus.jar serve"), entrypoint);
    assertTrue(lines.stream().anyMatch(l -> l.matches("COPY\\s+.*target/chorus\\.jar\\s+/app/chorus\\.jar")), "COPY the jar");
    String user = lines.stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no USER: the image would run as root"));
    assertFalse(user.matches("USER\\s+(root|0)(:.*)?"), user);
    // The non-root user the image runs as is the one the pod's securityContext expects.
    Matcher uid = Pattern.compile("USER\\s+(\\d+)").matcher(user);
    JsonNode runAsUser = podSpec().path("securityContext").path("runAsUser");
    if (uid.find() && !runAsUser.isMissingNode()) assertEquals(Integer.parseInt(uid.group(1)), runAsUser.asInt());
  }

  @Test
  void shellScriptsParse() throws Exception {
    List<Path> scripts;
    try (Stream<Path> files = Files.list(DEPLOY.resolve("local"))) {
      scripts = files.filter(p -> p.toString().endsWith(".sh")).sorted().toList();
    }
    assertTrue(scripts.stream().map(p -> p.getFileName().toString()).toList().containsAll(List.of("cluster.sh", "stop.sh")),
        "deploy/local has cluster.sh and stop.sh: " + scripts);
    for (Path script : scripts) {
      assertTrue(text(script).startsWith("#!/usr/bin/env bash\n"), script + " starts with a bash shebang");
      assertTrue(text(script).contains("set -euo pipefail"), script + " sets -euo pipefail");
      assertTrue(Files.isExecutable(script), script + " is executable");
      Process bash = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
      String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(bash.waitFor(30, TimeUnit.SECONDS), "bash -n " + script + " finished");
      assertEquals(0, bash.exitValue(), "bash -n " + script + ":\n" + out);
    }
  }
}
