package dev.chorus.multijvm;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.testkit.PhxClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The cluster link over TLS 1.3 with mutual authentication, configured as deploy/ ships it.
 * deploy/tls/make-certs.sh makes a CA with two node key stores, and another CA (same names,
 * other keys) with one. Node 1 runs deploy/tls/artery-tls.conf with its key store; node 2 runs
 * deploy/kubernetes/tls/artery-tls-pem.conf with its key and certificate as PEM files, as the
 * Kubernetes overlay mounts them. They form a cluster and carry a room's messages both ways;
 * their cluster ports speak TLS 1.3 with the CA's certificates and refuse a client without one;
 * and a third node whose certificate comes from the other CA (trusting the right CA, so the
 * refusal is the cluster's, not its own) is refused at every attempt and never becomes a member.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsMultiJvmIT {
  static final Path DIR = Path.of("target/multi-jvm/tls");
  static final Path CERTS = DIR.resolve("certs");
  static final Path OTHER_CA = DIR.resolve("other-ca");
  static final Path KEY_STORE_CONF = Path.of("deploy/tls/artery-tls.conf");
  static final Path PEM_CONF = Path.of("deploy/kubernetes/tls/artery-tls-pem.conf");

  static LocalCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    deleteTree(CERTS);
    deleteTree(OTHER_CA);
    // Both CAs at once: each keytool step is a JVM of its own.
    Process good = makeCerts(CERTS, 2);
    Process other = makeCerts(OTHER_CA, 1);
    awaitMakeCerts(good, CERTS);
    awaitMakeCerts(other, OTHER_CA);
    Path pem = exportPem(CERTS, 2, DIR.resolve("node-2-pem"));

    NodeProcess.Setup keyStores = keyStoreSetup(CERTS.resolve("node-1.p12"), CERTS, List.of());
    NodeProcess.Setup pemFiles = new NodeProcess.Setup(List.of(), List.of("--config", PEM_CONF.toAbsolutePath().toString()),
        Map.of("CHORUS_CLUSTER_TLS_DIR", pem.toAbsolutePath().toString()));
    cluster = LocalCluster.start("tls", 2, List.of(), i -> NodeProcess.Placement.LOOPBACK, i -> i == 1 ? keyStores : pemFiles);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) cluster.close();
  }

  @Test
  @Order(10)
  void theNodesFormedTheClusterOverTls() {
    for (NodeProcess n : cluster.nodes) {
      assertEquals(2, cluster.upMembers(n), "node " + n.index + " lists both members Up");
      assertTrue(n.logText().contains("Cluster link of " + n.address() + ": TLS TLSv1.3, mutual authentication on"),
          "node " + n.index + " runs its cluster link over TLS:\n" + cluster.logTails());
    }
  }

  /**
   * What a stranger sees on a cluster port: TLS 1.3 and a certificate of the cluster's CA, then,
   * without a certificate of its own, refusal.
   */
  @Test
  @Order(20)
  void theClusterPortsSpeakTls13AndRefuseAClientWithoutACertificate() throws Exception {
    KeyStore trust = load(CERTS.resolve("truststore.p12"), password(CERTS, "trust-store-password"));
    X509Certificate ca = (X509Certificate) trust.getCertificate(trust.aliases().nextElement());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(null, tmf.getTrustManagers(), null); // no key: this client has no certificate
    for (NodeProcess n : cluster.nodes) {
      try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", n.clusterPort), 5000);
        socket.setSoTimeout(5000);
        socket.startHandshake();
        assertEquals("TLSv1.3", socket.getSession().getProtocol(), "node " + n.index);
        X509Certificate peer = (X509Certificate) socket.getSession().getPeerCertificates()[0];
        assertEquals(ca.getSubjectX500Principal(), peer.getIssuerX500Principal(), "node " + n.index + "'s certificate");
        peer.verify(ca.getPublicKey());
        // TLS 1.3: the server checks the client's (empty) certificate after the client has
        // finished its part of the handshake, and answers with an alert instead of data.
        SSLException refused = assertThrows(SSLException.class, () -> socket.getInputStream().read(),
            "node " + n.index + " lets a client without a certificate in");
        assertTrue(refused.getMessage().matches("Received fatal alert: (bad_certificate|certificate_required)"),
            "node " + n.index + ": " + refused);
      }
    }
  }

  @Test
  @Order(30)
  void aRoomsMessagesCrossTheTlsLinkBothWays() throws Exception {
    String topic = "room:over-tls";
    try (PhxClient on1 = cluster.node(1).client(); PhxClient on2 = cluster.node(2).client()) {
      on1.join(topic);
      on2.join(topic);
      on1.push(topic, "msg", "{\"from\":1}");
      on2.push(topic, "msg", "{\"from\":2}");
      for (PhxClient c : List.of(on1, on2)) {
        List<String> from = new ArrayList<>();
        for (JsonNode b : c.broadcasts(topic, 2, Duration.ofSeconds(15))) from.add(b.path(4).path("from").asText());
        assertEquals(List.of("1", "2"), from.stream().sorted().toList(), c.name() + " got both nodes' messages");
      }
    }
  }

  /**
   * A node of another CA: its certificate has the same names as the cluster's (another run of
   * make-certs.sh), it trusts the cluster's CA, and it keeps asking the seed nodes to join (every
   * second here). Both seeds refuse its certificate at every attempt; it never becomes a member.
   */
  @Test
  @Order(40)
  void aNodeWithACertificateOfAnotherCaIsNeverAdmitted() throws Exception {
    NodeProcess stranger = cluster.startAnother(keyStoreSetup(OTHER_CA.resolve("node-1.p12"), OTHER_CA,
        List.of("-Dpekko.cluster.seed-node-timeout=1s")));
    NodeProcess node1 = cluster.node(1), node2 = cluster.node(2);
    Pattern refused = Pattern.compile("Received fatal alert: (certificate_unknown|bad_certificate|unknown_ca)");
    Pattern thirdAttempt = Pattern.compile("Couldn't join seed nodes after \\[[3-9]\\] attempts");
    // The stranger runs, is refused by the cluster's TLS (the alert in its log), and goes on
    // trying for three rounds; all the while neither node lists it.
    cluster.await("the node of another CA refused by both seeds for three rounds of joining", Duration.ofSeconds(45), () -> {
      for (NodeProcess n : List.of(node1, node2)) {
        JsonNode members = cluster.members(n);
        assertFalse(members != null && members.toString().contains(stranger.address()),
            "node " + n.index + " admitted the node of another CA: " + members);
      }
      assertTrue(stranger.alive(), "the node of another CA exited:\n" + cluster.logTails());
      String log = stranger.logText();
      return refused.matcher(log).find() && thirdAttempt.matcher(log).find();
    });
    for (NodeProcess n : List.of(node1, node2)) {
      assertEquals(2, cluster.upMembers(n), "node " + n.index + " still lists its two members Up");
      assertFalse(cluster.members(n).toString().contains(stranger.address()), "node " + n.index);
    }
    assertEquals(200, stranger.get("/alive").status(), "the stranger ran all along");
    stranger.kill();
  }

  /** A node with the key stores of deploy/tls/artery-tls.conf; the trust store is always the cluster's. */
  static NodeProcess.Setup keyStoreSetup(Path keyStore, Path keyStoreDir, List<String> jvmOptions) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("CHORUS_CLUSTER_TLS_KEY_STORE", keyStore.toAbsolutePath().toString());
    env.put("CHORUS_CLUSTER_TLS_KEY_STORE_PASSWORD", password(keyStoreDir, "key-store-password"));
    env.put("CHORUS_CLUSTER_TLS_TRUST_STORE", CERTS.resolve("truststore.p12").toAbsolutePath().toString());
    env.put("CHORUS_CLUSTER_TLS_TRUST_STORE_PASSWORD", password(CERTS, "trust-store-password"));
    return new NodeProcess.Setup(jvmOptions, List.of("--config", KEY_STORE_CONF.toAbsolutePath().toString()), env);
  }

  static Process makeCerts(Path dir, int nodes) throws IOException {
    Files.createDirectories(DIR);
    ProcessBuilder pb = new ProcessBuilder("bash", "deploy/tls/make-certs.sh", dir.toString(), String.valueOf(nodes))
        .redirectErrorStream(true)
        .redirectOutput(DIR.resolve(dir.getFileName() + "-make-certs.log").toFile());
    // The keytool of the JDK running this test.
    pb.environment().put("KEYTOOL", Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    return pb.start();
  }

  static void awaitMakeCerts(Process p, Path dir) throws Exception {
    Path log = DIR.resolve(dir.getFileName() + "-make-certs.log");
    assertTrue(p.waitFor(90, TimeUnit.SECONDS), "make-certs.sh " + dir + " did not finish");
    assertEquals(0, p.exitValue(), "make-certs.sh " + dir + ":\n" + Files.readString(log));
  }

  /**
   * Node {@code i}'s key, certificate and the CA's certificate as PEM files named as in a
   * Kubernetes TLS Secret (what cert-manager writes), from the key store make-certs.sh made.
   */
  static Path exportPem(Path certs, int i, Path to) throws Exception {
    deleteTree(to);
    Files.createDirectories(to);
    String password = password(certs, "key-store-password");
    KeyStore store = load(certs.resolve("node-" + i + ".p12"), password);
    Key key = store.getKey("node", password.toCharArray());
    Certificate cert = store.getCertificate("node");
    assertEquals("PKCS#8", key.getFormat());
    Files.writeString(to.resolve("tls.key"), pem("PRIVATE KEY", key.getEncoded()));
    Files.writeString(to.resolve("tls.crt"), pem("CERTIFICATE", cert.getEncoded()));
    Files.copy(certs.resolve("ca.crt"), to.resolve("ca.crt"));
    return to;
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  static KeyStore load(Path file, String password) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      store.load(in, password.toCharArray());
    }
    return store;
  }

  static String password(Path dir, String name) throws IOException {
    return Files.readAllLines(dir.resolve(name)).get(0).strip();
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }
}
