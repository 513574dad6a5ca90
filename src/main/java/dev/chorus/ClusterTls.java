package dev.chorus;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collections;
import javax.net.ssl.KeyManagerFactory;
import org.apache.pekko.pki.pem.DERPrivateKeyLoader;
import org.apache.pekko.pki.pem.PEMDecoder;

/**
 * Checks, before the node starts, the keys of a cluster link over TLS
 * ({@code pekko.remote.artery.transport = tls-tcp}, deploy/tls). Pekko reads them only when the
 * node first connects to another, and a node that cannot then logs warnings and runs on alone
 * (a first seed node even forms a cluster of one); a missing file, a wrong password, a store
 * without a key or an expired certificate are refused at start instead, naming the file.
 */
final class ClusterTls {
  static final String ARTERY = "pekko.remote.artery.";
  static final String CONFIG_PROVIDER = "org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider";
  static final String ROTATING_PROVIDER = "org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider";

  private ClusterTls() {}

  /** @throws IllegalArgumentException when the TLS keys configured cannot be used */
  static void check(Config config) {
    if (!config.getString(ARTERY + "transport").equalsIgnoreCase("tls-tcp")) return;
    String provider = config.getString(ARTERY + "ssl.ssl-engine-provider");
    if (provider.equals(CONFIG_PROVIDER)) {
      checkStores(config.getConfig(ARTERY + "ssl.config-ssl-engine"));
    } else if (provider.equals(ROTATING_PROVIDER)) {
      checkPemFiles(config.getConfig(ARTERY + "ssl.rotating-keys-engine"));
    }
    // another provider: its own business
  }

  /** How this node's cluster link runs, for the log at start. */
  static String describe(Config config) {
    String transport = config.getString(ARTERY + "transport");
    if (transport.equalsIgnoreCase("tcp")) {
      return "plaintext TCP, peers not authenticated (deploy/tls/artery-tls.conf turns on mutual TLS)";
    }
    if (!transport.equalsIgnoreCase("tls-tcp")) return transport;
    String provider = config.getString(ARTERY + "ssl.ssl-engine-provider");
    if (provider.equals(CONFIG_PROVIDER)) {
      Config c = config.getConfig(ARTERY + "ssl.config-ssl-engine");
      return "TLS " + c.getString("protocol") + ", mutual authentication "
          + (c.getBoolean("require-mutual-authentication") ? "on" : "OFF (peers not authenticated)")
          + ", key store " + c.getString("key-store") + ", trust store " + c.getString("trust-store");
    }
    if (provider.equals(ROTATING_PROVIDER)) {
      Config c = config.getConfig(ARTERY + "ssl.rotating-keys-engine");
      return "TLS " + c.getString("protocol") + ", mutual authentication on, PEM files "
          + c.getString("cert-file") + " (and key, CA) read again every " + c.getDuration("ssl-context-cache-ttl").toSeconds() + " s";
    }
    return "TLS, " + provider;
  }

  private static void checkStores(Config c) {
    String where = "cluster TLS (" + ARTERY + "ssl.config-ssl-engine)";
    String keyStore = c.getString("key-store");
    KeyStore keys = open(where, "key store", keyStore, c.getString("key-store-password"));
    try {
      X509Certificate own = null;
      for (String alias : Collections.list(keys.aliases())) {
        if (keys.isKeyEntry(alias) && keys.getCertificate(alias) instanceof X509Certificate cert) own = cert;
      }
      if (own == null) throw new IllegalArgumentException(where + ": the key store " + keyStore + " holds no private key with its certificate");
      KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm()).init(keys, c.getString("key-password").toCharArray());
      checkValid(where, keyStore, own);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(where + ": the key in " + keyStore + " cannot be read with key-password: " + e.getMessage(), e);
    }
    String trustStore = c.getString("trust-store");
    KeyStore trust = open(where, "trust store", trustStore, c.getString("trust-store-password"));
    try {
      boolean any = false;
      // the JDK's trust managers trust certificate entries and the certificates of key entries
      for (String alias : Collections.list(trust.aliases())) any |= trust.getCertificate(alias) != null;
      if (!any) throw new IllegalArgumentException(where + ": the trust store " + trustStore + " holds no certificate: no peer could be trusted");
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(where + ": the trust store " + trustStore + ": " + e.getMessage(), e);
    }
  }

  private static KeyStore open(String where, String what, String file, String password) {
    try (InputStream in = Files.newInputStream(Path.of(file))) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType()); // as Pekko opens it
      store.load(in, password.toCharArray());
      return store;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(where + ": cannot open the " + what + " " + file + ": " + e, e);
    }
  }

  private static void checkPemFiles(Config c) {
    String where = "cluster TLS (" + ARTERY + "ssl.rotating-keys-engine)";
    String certFile = c.getString("cert-file");
    checkValid(where, certFile, readCertificate(where, certFile));
    String caFile = c.getString("ca-cert-file");
    readCertificate(where, caFile);
    String keyFile = c.getString("key-file");
    try {
      DERPrivateKeyLoader.load(PEMDecoder.decode(Files.readString(Path.of(keyFile), StandardCharsets.US_ASCII)));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(where + ": cannot read the private key " + keyFile
          + " (an RSA key, PEM, PKCS#1 or unencrypted PKCS#8): " + e, e);
    }
  }

  private static X509Certificate readCertificate(String where, String file) {
    try (InputStream in = Files.newInputStream(Path.of(file))) {
      Certificate cert = CertificateFactory.getInstance("X.509").generateCertificate(in);
      if (cert instanceof X509Certificate x509) return x509;
      throw new IllegalArgumentException(where + ": " + file + " is no X.509 certificate");
    } catch (IOException | CertificateException e) {
      throw new IllegalArgumentException(where + ": cannot read the certificate " + file + ": " + e, e);
    }
  }

  private static void checkValid(String where, String file, X509Certificate cert) {
    try {
      cert.checkValidity();
    } catch (CertificateException e) {
      throw new IllegalArgumentException(where + ": the certificate in " + file + " (" + cert.getSubjectX500Principal()
          + ") is not valid now, only from " + cert.getNotBefore().toInstant() + " to " + cert.getNotAfter().toInstant()
          + ": peers would refuse it", e);
    }
  }
}
