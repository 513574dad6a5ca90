package dev.chorus.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import java.io.File;
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
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cluster link's TLS files under deploy/ (TlsMultiJvmIT runs them for real): deploy/tls's
 * HOCON turns on TLS 1.3 with mutual authentication, takes its stores and passwords from the
 * environment only, and names only keys Pekko has; make-certs.sh is strict bash that parses; the
 * Kubernetes component deploy/kubernetes/tls parses, patches the base's Deployment and
 * container, mounts the Secret where its HOCON reads the PEM files and its configuration where
 * --config points, and agrees with the cert-manager Certificate that makes the Secret; the base
 * with it, rendered by kubectl kustomize (when kubectl is there), matches the Kubernetes schemas.
 */
class DeployTlsTest {
  static final Path TLS = Path.of("deploy/tls");
  static final Path COMPONENT = Path.of("deploy/kubernetes/tls");
  static final String SSL = "pekko.remote.artery.ssl.";

  static final Map<String, String> STORE_ENV = Map.of(
      "CHORUS_CLUSTER_TLS_KEY_STORE", "/run/node.p12",
      "CHORUS_CLUSTER_TLS_KEY_STORE_PASSWORD", "store-secret",
      "CHORUS_CLUSTER_TLS_TRUST_STORE", "/run/truststore.p12",
      "CHORUS_CLUSTER_TLS_TRUST_STORE_PASSWORD", "trust-secret");

  @BeforeAll
  static void loadTheBase() throws IOException {
    DeployManifestsTest.load();
  }

  /** The file resolved with {@code env} standing for the environment (the real one left out). */
  static Config resolve(Path file, Map<String, String> env) {
    return ConfigFactory.parseFile(file.toFile())
        .withFallback(ConfigFactory.parseMap(env))
        .resolve(ConfigResolveOptions.noSystem());
  }

  static Set<String> leafPaths(Config conf) {
    Set<String> paths = new TreeSet<>();
    for (Map.Entry<String, ConfigValue> e : conf.entrySet()) paths.add(e.getKey());
    return paths;
  }

  /** Every key the file sets under pekko is one Pekko's reference.conf has: no typo goes unnoticed. */
  static void assertOnlyPekkoKeys(Config conf, Path file) {
    Config reference = ConfigFactory.defaultReference();
    for (String path : leafPaths(conf.withOnlyPath("pekko"))) {
      assertTrue(reference.hasPathOrNull(path), file + " sets " + path + ", which Pekko does not have");
    }
  }

  static void assertTls13WithSuitesTheJdkHas(Config engine, Path file) throws Exception {
    assertEquals("TLSv1.3", engine.getString("protocol"), file + ": TLS 1.3 only");
    List<String> suites = engine.getStringList("enabled-algorithms");
    assertFalse(suites.isEmpty(), file + ": enabled-algorithms");
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(null, null, null);
    Set<String> supported = Set.of(context.getSupportedSSLParameters().getCipherSuites());
    for (String s : suites) {
      assertTrue(s.startsWith("TLS_AES_") && supported.contains(s), file + ": " + s + " is a TLS 1.3 suite of this JDK");
    }
  }

  @Test
  void arteryTlsConfTurnsOnMutualTls13WithStoresFromTheEnvironment() throws Exception {
    Path file = TLS.resolve("artery-tls.conf");
    Config conf = resolve(file, STORE_ENV);
    assertEquals("tls-tcp", conf.getString("pekko.remote.artery.transport"));
    assertEquals("org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider", conf.getString(SSL + "ssl-engine-provider"));
    Config engine = conf.getConfig(SSL + "config-ssl-engine");
    assertTrue(engine.getBoolean("require-mutual-authentication"), "mutual authentication");
    assertTls13WithSuitesTheJdkHas(engine, file);
    assertEquals("/run/node.p12", engine.getString("key-store"));
    assertEquals("store-secret", engine.getString("key-store-password"));
    assertEquals("store-secret", engine.getString("key-password"), "a PKCS12 key's password is its store's");
    assertEquals("/run/truststore.p12", engine.getString("trust-store"));
    assertEquals("trust-secret", engine.getString("trust-store-password"));
    assertOnlyPekkoKeys(conf, file);

    Map<String, String> jks = new HashMap<>(STORE_ENV);
    jks.put("CHORUS_CLUSTER_TLS_KEY_PASSWORD", "key-secret");
    assertEquals("key-secret", resolve(file, jks).getString(SSL + "config-ssl-engine.key-password"));
  }

  /**
   * Paths and passwords are substitutions, never values in the file; and a variable left unset
   * stops the node rather than leaving Pekko's example defaults ("changeme", "keystore") in force.
   */
  @Test
  void arteryTlsConfHoldsNoPasswordAndFallsBackToNothing() {
    Path file = TLS.resolve("artery-tls.conf");
    Config unresolved = ConfigFactory.parseFile(file.toFile());
    for (String key : List.of("key-store", "key-store-password", "key-password", "trust-store", "trust-store-password")) {
      assertThrows(ConfigException.NotResolved.class, () -> unresolved.getValue(SSL + "config-ssl-engine." + key),
          key + " must come from the environment");
    }
    for (String missing : STORE_ENV.keySet()) {
      Map<String, String> env = new HashMap<>(STORE_ENV);
      env.remove(missing);
      ConfigException.UnresolvedSubstitution e = assertThrows(ConfigException.UnresolvedSubstitution.class,
          () -> resolve(file, env), "without " + missing);
      assertTrue(e.getMessage().contains(missing), e.getMessage());
    }
  }

  @Test
  void pemConfReadsTheMountedSecretWithRotatingKeys() throws Exception {
    Path file = COMPONENT.resolve("artery-tls-pem.conf");
    Config conf = resolve(file, Map.of());
    assertEquals("tls-tcp", conf.getString("pekko.remote.artery.transport"));
    assertEquals("org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider", conf.getString(SSL + "ssl-engine-provider"));
    Config engine = conf.getConfig(SSL + "rotating-keys-engine");
    assertTls13WithSuitesTheJdkHas(engine, file);
    String mount = engine.getString("secret-mount-point");
    assertEquals(mount + "/tls.key", engine.getString("key-file"));
    assertEquals(mount + "/tls.crt", engine.getString("cert-file"));
    assertEquals(mount + "/ca.crt", engine.getString("ca-cert-file"));
    Duration ttl = engine.getDuration("ssl-context-cache-ttl");
    assertTrue(ttl.compareTo(Duration.ofMinutes(1)) >= 0 && ttl.compareTo(Duration.ofHours(1)) <= 0, "cache ttl " + ttl);
    assertOnlyPekkoKeys(conf, file);

    Config moved = resolve(file, Map.of("CHORUS_CLUSTER_TLS_DIR", "/tmp/pem"));
    assertEquals("/tmp/pem/tls.key", moved.getString(SSL + "rotating-keys-engine.key-file"), "CHORUS_CLUSTER_TLS_DIR moves the files");
  }

  @Test
  void makeCertsIsStrictBashThatParses() throws Exception {
    Path script = TLS.resolve("make-certs.sh");
    String text = Files.readString(script, StandardCharsets.UTF_8);
    assertTrue(text.startsWith("#!/usr/bin/env bash\n"), "bash shebang");
    assertTrue(text.contains("set -euo pipefail"));
    assertTrue(Files.isExecutable(script), script + " is executable");
    assertFalse(Pattern.compile("-(store|key)pass [^:]").matcher(text).find(), "passwords go to keytool through :env, not argv");
    Process bash = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
    String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(bash.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, bash.exitValue(), out);
  }

  // ---- the Kubernetes component ----

  static List<JsonNode> yamlDocs(Path file) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = new YAMLMapper().readerFor(JsonNode.class).readValues(file.toFile())) {
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isNull() && !n.isMissingNode() && !n.isEmpty()) docs.add(n);
      }
    }
    return docs;
  }

  static JsonNode yaml(Path file) throws IOException {
    List<JsonNode> docs = yamlDocs(file);
    assertEquals(1, docs.size(), file + " holds one document");
    return docs.get(0);
  }

  static JsonNode byName(JsonNode list, String field, String name) {
    for (JsonNode n : list) if (n.path(field).asText().equals(name)) return n;
    return fail("no " + field + " " + name + " in " + list);
  }

  static Set<String> texts(JsonNode array) {
    Set<String> s = new HashSet<>();
    array.forEach(v -> s.add(v.asText()));
    return s;
  }

  /**
   * A Component (kustomize refuses an overlay inside its base's folder) that the base's
   * kustomization.yaml offers, commented out; every file of it is used.
   */
  @Test
  void componentListsItsFilesAndTheBaseOffersIt() throws IOException {
    JsonNode k = yaml(COMPONENT.resolve("kustomization.yaml"));
    assertEquals("Component", k.path("kind").asText());
    assertEquals("kustomize.config.k8s.io/v1alpha1", k.path("apiVersion").asText());
    assertFalse(k.has("resources"), "a Component adds to the base it is used with");
    Set<String> referenced = new TreeSet<>();
    k.path("patches").forEach(p -> referenced.add(p.path("path").asText()));
    JsonNode generator = byName(k.path("configMapGenerator"), "name", "chorus-tls-config");
    generator.path("files").forEach(f -> referenced.add(f.asText()));
    for (String f : referenced) assertTrue(Files.isRegularFile(COMPONENT.resolve(f)), "no " + f + " in " + COMPONENT);
    Set<String> files = new TreeSet<>();
    try (Stream<Path> list = Files.list(COMPONENT)) {
      list.map(p -> p.getFileName().toString()).forEach(files::add);
    }
    files.removeAll(Set.of("kustomization.yaml", "cert-manager.yaml")); // cert-manager.yaml: applied on its own
    assertEquals(files, referenced, "every file of the component is used by its kustomization.yaml");
    assertTrue(Files.readString(COMPONENT.resolveSibling("kustomization.yaml")).contains(COMMENTED_COMPONENT),
        "deploy/kubernetes/kustomization.yaml offers the component:\n" + COMMENTED_COMPONENT);
  }

  static final String COMMENTED_COMPONENT = "# components:\n#   - tls\n";

  @Test
  void componentMountsTheSecretWhereItsConfigurationReadsIt() throws IOException {
    JsonNode patch = yaml(COMPONENT.resolve("deployment-tls.yaml"));
    JsonNode base = DeployManifestsTest.workload().node();
    assertEquals(base.path("kind").asText(), patch.path("kind").asText(), "the patch targets the base's workload");
    assertEquals(base.path("metadata").path("name").asText(), patch.path("metadata").path("name").asText());
    JsonNode spec = patch.path("spec").path("template").path("spec");
    JsonNode container = spec.path("containers").get(0);
    assertEquals(DeployManifestsTest.chorusContainer().path("name").asText(), container.path("name").asText(),
        "the patch's container is the base's (merged by name)");

    // The Secret: mounted whole (never subPath, or renewals never arrive) where the PEM
    // configuration reads it, readable by the node's group only.
    JsonNode secretVolume = null;
    for (JsonNode v : spec.path("volumes")) if (v.has("secret")) secretVolume = v;
    assertNotNull(secretVolume, "the patch mounts a Secret");
    JsonNode secretMount = byName(container.path("volumeMounts"), "name", secretVolume.path("name").asText());
    assertFalse(secretMount.has("subPath"), "a subPath mount is never updated when the Secret is renewed");
    assertTrue(secretMount.path("readOnly").asBoolean());
    String mountPoint = resolve(COMPONENT.resolve("artery-tls-pem.conf"), Map.of())
        .getString(SSL + "rotating-keys-engine.secret-mount-point");
    assertEquals(mountPoint, secretMount.path("mountPath").asText(), "the Secret is where artery-tls-pem.conf reads it");
    int mode = secretVolume.path("secret").path("defaultMode").asInt(0644);
    assertTrue((mode & 0040) != 0 && (mode & 0007) == 0, "the key readable by the group, not by others: " + Integer.toOctalString(mode));
    int group = DeployManifestsTest.podSpec().path("securityContext").path("runAsGroup").asInt(-1);
    assertEquals(group, spec.path("securityContext").path("fsGroup").asInt(), "fsGroup = the node's group");

    // The Secret is the one cert-manager.yaml's Certificate writes.
    String secretName = secretVolume.path("secret").path("secretName").asText();
    JsonNode certificate = certificateWriting(secretName);
    assertNotNull(certificate, "cert-manager.yaml makes Secret " + secretName);

    // --config points at a file of the generated ConfigMap, mounted; that file includes the
    // base's kubernetes.conf and the PEM configuration, both where they are mounted.
    List<String> args = new ArrayList<>();
    container.path("args").forEach(a -> args.add(a.asText()));
    int at = args.indexOf("--config");
    assertTrue(at >= 0 && at + 1 < args.size(), "args: " + args);
    Path config = Path.of(args.get(at + 1));
    JsonNode configVolume = volumeMountedAt(spec, container, config.getParent().toString());
    assertEquals("chorus-tls-config", configVolume.path("configMap").path("name").asText());
    assertTrue(Files.isRegularFile(COMPONENT.resolve(config.getFileName().toString())), config + " is a file of the component");

    List<String> baseArgs = new ArrayList<>();
    DeployManifestsTest.chorusContainer().path("args").forEach(a -> baseArgs.add(a.asText()));
    String baseConfig = baseArgs.get(baseArgs.indexOf("--config") + 1);
    Set<String> expected = Set.of(baseConfig, config.getParent() + "/artery-tls-pem.conf");
    List<String> includes = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^include required\\(file\\(\"([^\"]+)\"\\)\\)").matcher(
        Files.readString(COMPONENT.resolve(config.getFileName().toString())));
    while (m.find()) includes.add(m.group(1));
    assertEquals(new TreeSet<>(expected), new TreeSet<>(includes), config + " includes the base's --config and the PEM configuration");
    assertTrue(includes.get(includes.size() - 1).endsWith("artery-tls-pem.conf"), "TLS last, over the base");
  }

  static JsonNode volumeMountedAt(JsonNode spec, JsonNode container, String path) {
    for (JsonNode m : container.path("volumeMounts")) {
      if (m.path("mountPath").asText().equals(path)) return byName(spec.path("volumes"), "name", m.path("name").asText());
    }
    return fail("nothing mounted at " + path);
  }

  static JsonNode certificateWriting(String secretName) throws IOException {
    for (JsonNode d : yamlDocs(COMPONENT.resolve("cert-manager.yaml"))) {
      if (d.path("kind").asText().equals("Certificate") && d.path("spec").path("secretName").asText().equals(secretName)) return d;
    }
    return null;
  }

  /**
   * The nodes' certificate is what RotatingKeysSSLEngineProvider reads and checks (an RSA key in
   * PKCS#8 or PKCS#1; a name every node shares; signed directly by a root CA), good for both
   * ends of a connection, and renewed well before it expires; its Issuer is that private CA.
   */
  @Test
  void certManagerMakesACertificateTheProviderAccepts() throws IOException {
    List<JsonNode> docs = yamlDocs(COMPONENT.resolve("cert-manager.yaml"));
    for (JsonNode d : docs) {
      assertTrue(d.path("apiVersion").asText().startsWith("cert-manager.io/"), d.toString());
      assertFalse(d.path("metadata").path("name").asText().isBlank());
      assertFalse(d.path("metadata").has("namespace"), "no namespace: the one of the pods");
    }
    JsonNode node = certificateWriting("chorus-artery-tls");
    assertNotNull(node);
    JsonNode spec = node.path("spec");
    assertEquals("RSA", spec.path("privateKey").path("algorithm").asText());
    assertTrue(Set.of("PKCS8", "PKCS1").contains(spec.path("privateKey").path("encoding").asText("PKCS1")));
    assertTrue(texts(spec.path("usages")).containsAll(Set.of("server auth", "client auth")), "usages " + spec.path("usages"));
    assertTrue(spec.has("commonName") || spec.path("dnsNames").size() > 0, "a name every node shares");
    Duration duration = goDuration(spec.path("duration").asText());
    Duration renewBefore = goDuration(spec.path("renewBefore").asText());
    assertTrue(renewBefore.compareTo(duration) < 0 && renewBefore.compareTo(Duration.ofDays(1)) > 0,
        "renewed days before it expires: " + renewBefore + " of " + duration);

    JsonNode issuerRef = spec.path("issuerRef");
    JsonNode issuer = docs.stream().filter(d -> d.path("kind").asText().equals(issuerRef.path("kind").asText())
            && d.path("metadata").path("name").asText().equals(issuerRef.path("name").asText()))
        .findFirst().orElseThrow(() -> new AssertionError("no " + issuerRef + " in cert-manager.yaml"));
    String caSecret = issuer.path("spec").path("ca").path("secretName").asText();
    JsonNode ca = certificateWriting(caSecret);
    assertNotNull(ca, "the Issuer signs with a CA made here, Secret " + caSecret);
    assertTrue(ca.path("spec").path("isCA").asBoolean());
    JsonNode root = docs.stream().filter(d -> d.path("metadata").path("name").asText()
            .equals(ca.path("spec").path("issuerRef").path("name").asText())).findFirst().orElseThrow();
    assertTrue(root.path("spec").has("selfSigned"), "the CA is a root (the provider takes no intermediate)");
  }

  static Duration goDuration(String text) {
    Matcher m = Pattern.compile("(\\d+)h").matcher(text);
    assertTrue(m.matches(), "a duration in hours: " + text);
    return Duration.ofHours(Long.parseLong(m.group(1)));
  }

  /**
   * What kubectl apply -k would send once the component is uncommented as its comment says: the
   * base with the patch applied and the ConfigMap generated, one Deployment whose pod keeps the
   * base's settings and has the TLS ones, valid for the Kubernetes schemas. Needs kubectl (its
   * built-in kustomize), skipped without it.
   */
  @Test
  void withTheComponentTheBaseRendersToValidManifests() throws Exception {
    Assumptions.assumeTrue(onPath("kubectl"), "kubectl is not installed");
    Path copy = Path.of("target/deploy-tls/kubernetes");
    deleteTree(copy);
    copyTree(COMPONENT.getParent(), copy);
    Path kustomization = copy.resolve("kustomization.yaml");
    String text = Files.readString(kustomization);
    Files.writeString(kustomization, text.replace(COMMENTED_COMPONENT, "components:\n  - tls\n"));
    Process p = new ProcessBuilder("kubectl", "kustomize", copy.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String rendered = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "kubectl kustomize " + copy + " failed");
    Path out = copy.resolveSibling("rendered.yaml");
    Files.writeString(out, rendered);

    List<JsonNode> docs = yamlDocs(out);
    List<JsonNode> deployments = docs.stream().filter(d -> d.path("kind").asText().equals("Deployment")).toList();
    assertEquals(1, deployments.size());
    JsonNode pod = deployments.get(0).path("spec").path("template").path("spec");
    JsonNode container = pod.path("containers").get(0);
    assertEquals(1, pod.path("containers").size());
    assertEquals(List.of("--config", "/etc/chorus-tls/kubernetes-tls.conf"),
        List.of(container.path("args").get(0).asText(), container.path("args").get(1).asText()));
    Set<String> env = new HashSet<>();
    container.path("env").forEach(e -> env.add(e.path("name").asText()));
    assertTrue(env.containsAll(Set.of("CHORUS_CLUSTER_BOOTSTRAP", "CHORUS_ADMIN_KEY", "CHORUS_CLUSTER_HOST")), "the base's env kept: " + env);
    Set<String> mounts = new HashSet<>();
    container.path("volumeMounts").forEach(m -> mounts.add(m.path("mountPath").asText()));
    assertTrue(mounts.containsAll(Set.of("/etc/chorus", "/tmp", "/etc/chorus-tls", "/var/run/secrets/pekko-tls/rotating-keys-engine")),
        "the base's mounts and the component's: " + mounts);
    assertEquals(10001, pod.path("securityContext").path("runAsUser").asInt(), "the base's securityContext kept");
    // The generated ConfigMap's hashed name replaced the plain one in the volume.
    String generated = docs.stream().filter(d -> d.path("kind").asText().equals("ConfigMap")
            && d.path("metadata").path("name").asText().startsWith("chorus-tls-config-"))
        .map(d -> d.path("metadata").path("name").asText()).findFirst()
        .orElseThrow(() -> new AssertionError("no generated ConfigMap chorus-tls-config-<hash>"));
    assertEquals(generated, byName(pod.path("volumes"), "name", "tls-config").path("configMap").path("name").asText());

    Path js = Path.of("src/test/js");
    Assumptions.assumeTrue(Files.isDirectory(js.resolve("node_modules/kubernetes-models")), "npm packages missing");
    Process validate = new ProcessBuilder("node", "validate-k8s.mjs", out.toAbsolutePath().toString())
        .directory(js.toFile()).redirectErrorStream(true).start();
    String report = new String(validate.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(validate.waitFor(60, TimeUnit.SECONDS), report);
    assertEquals(0, validate.exitValue(), report);
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(target);
        else Files.copy(p, target);
      }
    }
  }

  static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, command))) return true;
    }
    return false;
  }
}
