package dev.chorus;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node with the cluster link over TLS refuses to start with keys it could not use, naming the
 * file and the reason, instead of starting cut off from its peers.
 */
class ClusterTlsTest {
  static final String ENGINE = "pekko.remote.artery.ssl.config-ssl-engine.";
  static final String PASSWORD = "store-password";

  @TempDir static Path dir;
  static Path valid;
  static Path expired;
  static Path empty;

  /** A key store with a valid self-signed key, one whose certificate has expired, and one without keys. */
  @BeforeAll
  static void stores() throws Exception {
    valid = dir.resolve("valid.p12");
    expired = dir.resolve("expired.p12");
    keytool("-genkeypair", "-keystore", valid.toString(), "-alias", "node", "-dname", "CN=chorus-cluster", "-validity", "30");
    keytool("-genkeypair", "-keystore", expired.toString(), "-alias", "node", "-dname", "CN=chorus-cluster",
        "-startdate", "-10d", "-validity", "2");
    empty = dir.resolve("empty.p12");
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    try (OutputStream out = Files.newOutputStream(empty)) {
      store.store(out, PASSWORD.toCharArray());
    }
  }

  static void keytool(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-J-XX:TieredStopAtLevel=1"));
    command.addAll(List.of(args));
    command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD, "-keyalg", "RSA", "-keysize", "2048"));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
    assertEquals(0, p.exitValue(), out);
  }

  static Config tls(Path keyStore, String keyStorePassword, Path trustStore) {
    Map<String, Object> m = new HashMap<>();
    m.put("pekko.remote.artery.transport", "tls-tcp");
    m.put(ENGINE + "key-store", keyStore.toString());
    m.put(ENGINE + "key-store-password", keyStorePassword);
    m.put(ENGINE + "key-password", keyStorePassword);
    m.put(ENGINE + "trust-store", trustStore.toString());
    m.put(ENGINE + "trust-store-password", PASSWORD);
    return ConfigFactory.parseMap(m).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  static String refusal(Config config) {
    return assertThrows(IllegalArgumentException.class, () -> ClusterTls.check(config)).getMessage();
  }

  @Test
  void plaintextIsNotChecked() {
    assertDoesNotThrow(() -> ClusterTls.check(ConfigFactory.defaultReference()));
  }

  @Test
  void usableStoresPass() {
    // a key store's certificate may serve as a trust store's too: what matters is that it opens
    assertDoesNotThrow(() -> ClusterTls.check(tls(valid, PASSWORD, valid)));
  }

  @Test
  void theLogSaysHowTheLinkRuns() {
    assertTrue(ClusterTls.describe(ConfigFactory.defaultReference()).startsWith("plaintext TCP, peers not authenticated"));
    String tls = ClusterTls.describe(tls(valid, PASSWORD, valid));
    assertTrue(tls.startsWith("TLS TLSv1.3, mutual authentication on, key store " + valid), tls);
  }

  @Test
  void aMissingKeyStoreIsNamed() {
    String m = refusal(tls(dir.resolve("nowhere.p12"), PASSWORD, valid));
    assertTrue(m.contains("cannot open the key store") && m.contains("nowhere.p12"), m);
  }

  @Test
  void aWrongPasswordIsNamed() {
    String m = refusal(tls(valid, "not-the-password", valid));
    assertTrue(m.contains("cannot open the key store") && m.contains("valid.p12"), m);
  }

  @Test
  void aKeyStoreWithoutAKeyIsRefused() {
    String m = refusal(tls(empty, PASSWORD, valid));
    assertTrue(m.contains("holds no private key"), m);
  }

  @Test
  void anEmptyTrustStoreIsRefused() {
    String m = refusal(tls(valid, PASSWORD, empty));
    assertTrue(m.contains("trust store") && m.contains("holds no certificate"), m);
  }

  @Test
  void anExpiredCertificateIsRefused() {
    String m = refusal(tls(expired, PASSWORD, valid));
    assertTrue(m.contains("is not valid now") && m.contains("expired.p12"), m);
  }

  @Test
  void missingPemFilesAreNamed() {
    Config c = ConfigFactory.parseMap(Map.of(
            "pekko.remote.artery.transport", "tls-tcp",
            "pekko.remote.artery.ssl.ssl-engine-provider", ClusterTls.ROTATING_PROVIDER,
            "pekko.remote.artery.ssl.rotating-keys-engine.cert-file", dir.resolve("no-secret/tls.crt").toString()))
        .withFallback(ConfigFactory.defaultReference()).resolve();
    String m = refusal(c);
    assertTrue(m.contains("no-secret/tls.crt"), m);
  }

  @Test
  void aMissingEnvironmentVariableIsNamedAtStart() throws Exception {
    Path conf = dir.resolve("tls.conf");
    Files.writeString(conf, "pekko.remote.artery.ssl.config-ssl-engine.key-store = ${CHORUS_TEST_UNSET_VARIABLE_4711}\n");
    String m = assertThrows(IllegalArgumentException.class, () -> Settings.load(List.of("--config", conf.toString()), Map.of()))
        .getMessage();
    assertTrue(m.contains("CHORUS_TEST_UNSET_VARIABLE_4711"), m);
  }
}
