package dev.chorus;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads the configuration. Later layers win: reference.conf (every Chorus default,
 * documented) < pekko-overrides.conf (Chorus's choices for Pekko's keys) < application.conf or
 * {@code -Dconfig.file} or {@code --config} < {@code -Dkey=value} system properties <
 * environment variables < command-line flags.
 */
public final class Settings {

  /** A setting that may also come from an environment variable and a flag. */
  record Option(String flag, String env, String path, boolean list, String help) {}

  static final List<Option> OPTIONS = List.of(
      new Option("--port", "CHORUS_PORT", "chorus.http.port", false, "HTTP and WebSocket port (default 4000)"),
      new Option("--host", "CHORUS_HOST", "chorus.http.host", false, "address to listen on (default 127.0.0.1)"),
      new Option("--cluster-host", "CHORUS_CLUSTER_HOST", "pekko.remote.artery.canonical.hostname", false,
          "address other nodes reach this one at (default 127.0.0.1)"),
      new Option("--cluster-port", "CHORUS_CLUSTER_PORT", "pekko.remote.artery.canonical.port", false,
          "cluster (Artery) port (default 25520)"),
      new Option("--management-port", "CHORUS_MANAGEMENT_PORT", "pekko.management.http.port", false,
          "Pekko Management port: /metrics, cluster API (default 7626)"),
      new Option("--management-host", "CHORUS_MANAGEMENT_HOST", "pekko.management.http.hostname", false,
          "address the management port listens on (default 127.0.0.1)"),
      new Option("--seed-nodes", "CHORUS_SEED_NODES", "pekko.cluster.seed-nodes", true,
          "comma-separated seed nodes, e.g. pekko://chorus@127.0.0.1:25520; none: a cluster of one"),
      new Option("--cluster-bootstrap", "CHORUS_CLUSTER_BOOTSTRAP", "chorus.cluster.bootstrap", false,
          "on: find peers with Pekko Cluster Bootstrap (e.g. Kubernetes API) instead of seed nodes"),
      new Option("--admin-key", "CHORUS_ADMIN_KEY", "chorus.admin.key", false,
          "bearer key of the admin API on the management port (empty: admin API off)"),
      new Option("--profile", "CHORUS_PROFILE", "chorus.profile", false,
          "dev (anonymous connections allowed) or prod (tokens required; default dev)"),
      new Option("--auth-secret", "CHORUS_AUTH_SECRET", "chorus.auth.hs256-secret", false,
          "HS256 secret that connection tokens are signed with (>= 32 bytes)"),
      new Option("--auth-issuer", "CHORUS_AUTH_ISSUER", "chorus.auth.issuer", false,
          "the iss connection tokens must carry (empty: not checked)"),
      new Option("--auth-audience", "CHORUS_AUTH_AUDIENCE", "chorus.auth.audience", false,
          "an aud connection tokens must carry (empty: not checked)"),
      new Option("--api-key", "CHORUS_API_KEY", "chorus.api.key", false,
          "bearer key of the API for backends on the management port (empty: API off)"),
      new Option("--drain-window", "CHORUS_DRAIN_WINDOW", "chorus.drain.window", false,
          "how long a drain (SIGTERM, POST /admin/drain) spreads closing WebSockets (default 30s)"));

  /** The shutdown phase that drains must outlast the drain window by this much. */
  private static final Duration DRAIN_PHASE_MARGIN = Duration.ofSeconds(15);
  private static final String DRAIN_PHASE_TIMEOUT = "pekko.coordinated-shutdown.phases.before-service-unbind.timeout";

  private Settings() {}

  /**
   * Loads the configuration for the given command-line flags and environment.
   *
   * @throws IllegalArgumentException for an unknown flag, a flag without its value, or a bad setting
   */
  public static Config load(List<String> flags, Map<String, String> env) {
    Map<String, Object> fromEnv = new HashMap<>();
    Map<String, Object> fromFlags = new HashMap<>();
    String configFile = null;
    for (Option o : OPTIONS) {
      String v = env.get(o.env());
      if (v != null && !v.isBlank()) fromEnv.put(o.path(), value(o, v));
    }
    for (int i = 0; i < flags.size(); i++) {
      String flag = flags.get(i);
      String v = null;
      int eq = flag.indexOf('=');
      if (eq > 0) {
        v = flag.substring(eq + 1);
        flag = flag.substring(0, eq);
      } else if (i + 1 < flags.size()) {
        v = flags.get(++i);
      }
      if (v == null) throw new IllegalArgumentException("flag " + flag + " needs a value");
      if (flag.equals("--config")) {
        configFile = v;
        continue;
      }
      String name = flag;
      Option option = OPTIONS.stream().filter(o -> o.flag().equals(name)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("unknown flag " + name + " (see --help)"));
      fromFlags.put(option.path(), value(option, v));
    }
    Config application;
    if (configFile != null) {
      File f = new File(configFile);
      if (!f.isFile()) throw new IllegalArgumentException("config file not found: " + configFile);
      application = ConfigFactory.parseFile(f);
    } else {
      application = ConfigFactory.defaultApplication();
    }
    Config config;
    try {
      Config base = ConfigFactory.load(application.withFallback(ConfigFactory.parseResources("pekko-overrides.conf")));
      config = ConfigFactory.parseMap(fromFlags)
          .withFallback(ConfigFactory.parseMap(fromEnv))
          .withFallback(base)
          .resolve();
    } catch (ConfigException.UnresolvedSubstitution e) {
      // e.g. deploy/tls/artery-tls.conf without CHORUS_CLUSTER_TLS_KEY_STORE in the environment
      throw new IllegalArgumentException(e.getMessage() + " (a setting or environment variable it needs is not set)", e);
    }
    Duration drainPhase = config.getDuration("chorus.drain.window").plus(DRAIN_PHASE_MARGIN);
    if (config.getDuration(DRAIN_PHASE_TIMEOUT).compareTo(drainPhase) < 0) {
      config = config.withValue(DRAIN_PHASE_TIMEOUT, ConfigValueFactory.fromAnyRef(drainPhase.toMillis() + "ms"));
    }
    ChorusSettings.fromConfig(config.getConfig("chorus")); // refuse a bad setting before anything starts
    ClusterTls.check(config); // and keys of a cluster link over TLS that it could not use
    return config;
  }

  private static Object value(Option o, String v) {
    if (!o.list()) return v;
    return ConfigValueFactory.fromIterable(
        Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList()).unwrapped();
  }

  static String help() {
    StringBuilder b = new StringBuilder();
    b.append("""
        Chorus: a clustered realtime server speaking the Phoenix Channels v2 protocol.

        Usage: java -jar chorus.jar [serve] [flags]
               java -jar chorus.jar bench --help     (the load generator)
               java -jar chorus.jar token --sub USER (mint an HS256 connection token)

        Flags (each also set by its environment variable; flags win):
        """);
    for (Option o : OPTIONS) {
      b.append(String.format("  %-20s %-24s %s%n", o.flag() + " V", o.env(), o.help()));
    }
    b.append(String.format("  %-20s %-24s %s%n", "--config FILE", "", "a HOCON file over the defaults (like -Dconfig.file)"));
    b.append(String.format("  %-20s %-24s %s%n", "--help", "", "this text"));
    b.append("""

        Any setting can also be given as a JVM system property, e.g.
          java -Dchorus.connection.idle-timeout=90s -jar chorus.jar
        Every setting and its default is documented in reference.conf (inside the jar).
        """);
    return b.toString();
  }
}
