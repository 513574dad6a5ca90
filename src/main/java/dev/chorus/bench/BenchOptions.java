package dev.chorus.bench;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The parsed command line of {@code bench <scenario> [--option value]…}. */
final class BenchOptions {
  static final Set<String> SCENARIOS = Set.of("connect", "fanout", "bigroom", "chaos");

  /** Options every scenario takes, and their defaults. */
  private static final Map<String, String> COMMON = defaults(
      "url", "ws://127.0.0.1:4000/socket/websocket",
      "duration", "30s",
      "warmup", "5s",
      "json", "",
      "sources", "",
      "processes", "1",
      "threads", "",
      "heartbeat", "30s",
      "topic-prefix", "room:r",
      "child-heap", "1g",
      // Internal: set by the parent for its child processes.
      "shard", "",
      "child-json", "",
      "clock", "");

  private static final Map<String, Map<String, String>> PER_SCENARIO = Map.of(
      "connect", defaults("connections", "1000", "rate", "1000", "rooms", "10", "warmup-connections", "0", "server-pid", ""),
      "fanout", defaults("subscribers", "1000", "rooms", "10", "rate", "100", "payload", "100",
          "slow-fraction", "0", "warmup-slow-fraction", "0", "publisher-rate", "50", "connect-rate", "2000", "event", "msg", "server-pid", ""),
      "bigroom", defaults("members", "1000", "rate", "50", "payload", "100",
          "slow-fraction", "0", "warmup-slow-fraction", "0", "publisher-rate", "50", "connect-rate", "2000", "event", "msg", "server-pid", ""),
      "chaos", defaults("clients", "300", "rooms", "10", "rooms-per-client", "2", "rate", "100", "publishers-per-node", "1",
          "settle", "30s", "connect-rate", "1000"));

  final String scenario;
  /** Every option with its value (defaults filled in), in a stable order for the report. */
  final Map<String, String> values;
  /** The options given on the command line, for passing on to child processes. */
  final List<String> givenArgs;

  private BenchOptions(String scenario, Map<String, String> values, List<String> givenArgs) {
    this.scenario = scenario;
    this.values = values;
    this.givenArgs = givenArgs;
  }

  static BenchOptions parse(List<String> args) {
    if (args.isEmpty()) throw new IllegalArgumentException("missing scenario (connect, fanout, bigroom, chaos)");
    String scenario = args.get(0);
    if (!SCENARIOS.contains(scenario)) throw new IllegalArgumentException("unknown scenario '" + scenario + "'");
    Map<String, String> values = new LinkedHashMap<>(PER_SCENARIO.get(scenario));
    values.putAll(COMMON);
    List<String> rest = args.subList(1, args.size());
    for (int i = 0; i < rest.size(); i++) {
      String arg = rest.get(i);
      if (!arg.startsWith("--")) throw new IllegalArgumentException("unexpected argument '" + arg + "'");
      String key = arg.substring(2);
      String value;
      int eq = key.indexOf('=');
      if (eq >= 0) {
        value = key.substring(eq + 1);
        key = key.substring(0, eq);
      } else {
        if (i + 1 >= rest.size()) throw new IllegalArgumentException("option --" + key + " needs a value");
        value = rest.get(++i);
      }
      if (!values.containsKey(key)) {
        throw new IllegalArgumentException("unknown option --" + key + " for scenario " + scenario);
      }
      values.put(key, value);
    }
    BenchOptions options = new BenchOptions(scenario, values, new ArrayList<>(rest));
    options.validate();
    return options;
  }

  private void validate() {
    uri();
    durationMillis("duration");
    durationMillis("warmup");
    durationMillis("heartbeat");
    if (integer("processes") < 1) throw new IllegalArgumentException("--processes must be ≥ 1");
    switch (scenario) {
      case "connect" -> {
        positive("connections");
        if (integer("warmup-connections") < 0) throw new IllegalArgumentException("--warmup-connections must be ≥ 0");
        positive("rooms");
        if (rate("rate") <= 0) throw new IllegalArgumentException("--rate must be > 0");
      }
      case "fanout", "bigroom" -> {
        positive(scenario.equals("fanout") ? "subscribers" : "members");
        if (scenario.equals("fanout")) positive("rooms");
        if (rate("rate") <= 0 || rate("publisher-rate") <= 0 || rate("connect-rate") <= 0) {
          throw new IllegalArgumentException("rates must be > 0");
        }
        double f = decimal("slow-fraction");
        if (f < 0 || f >= 1) throw new IllegalArgumentException("--slow-fraction must be in [0, 1)");
        double w = decimal("warmup-slow-fraction");
        if (w < 0 || w >= 1) throw new IllegalArgumentException("--warmup-slow-fraction must be in [0, 1)");
        if (integer("payload") < 0) throw new IllegalArgumentException("--payload must be ≥ 0");
      }
      case "chaos" -> {
        // One checker must see every client's stream: no child processes.
        if (integer("processes") != 1) throw new IllegalArgumentException("chaos runs in one process: --processes is not supported");
        durationMillis("settle");
        if (rate("connect-rate") <= 0) throw new IllegalArgumentException("--connect-rate must be > 0");
        // The plan checks counts and the rates against the server's limits.
        new ChaosPlan(integer("clients"), integer("rooms"), integer("rooms-per-client"), uris().size(),
            integer("publishers-per-node"), rate("rate"));
      }
      default -> throw new IllegalStateException(scenario);
    }
    if (!get("shard").isEmpty()) shard();
  }

  private void positive(String key) {
    if (integer(key) < 1) throw new IllegalArgumentException("--" + key + " must be ≥ 1");
  }

  String get(String key) {
    String v = values.get(key);
    if (v == null) throw new IllegalArgumentException("no option --" + key);
    return v;
  }

  int integer(String key) {
    try {
      return Integer.parseInt(get(key).replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + " must be an integer, got '" + get(key) + "'");
    }
  }

  double decimal(String key) {
    try {
      return Double.parseDouble(get(key));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + " must be a number, got '" + get(key) + "'");
    }
  }

  /** "500", "500/s" or "500/S": events per second. */
  double rate(String key) {
    String v = get(key).trim();
    if (v.endsWith("/s") || v.endsWith("/S")) v = v.substring(0, v.length() - 2);
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + " must be a rate like 100/s, got '" + get(key) + "'");
    }
  }

  /** "30s", "500ms", "2m", "1.5s" or a bare number of seconds. */
  long durationMillis(String key) {
    String v = get(key).trim().toLowerCase();
    double factor = 1000;
    if (v.endsWith("ms")) {
      factor = 1;
      v = v.substring(0, v.length() - 2);
    } else if (v.endsWith("s")) {
      v = v.substring(0, v.length() - 1);
    } else if (v.endsWith("m")) {
      factor = 60_000;
      v = v.substring(0, v.length() - 1);
    }
    try {
      double d = Double.parseDouble(v) * factor;
      if (d < 0) throw new NumberFormatException();
      return (long) d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + " must be a duration like 30s or 500ms, got '" + get(key) + "'");
    }
  }

  /** The first of {@link #uris()}. */
  URI uri() {
    return uris().get(0);
  }

  /**
   * The endpoints of --url, one or several separated by commas (the nodes of a cluster): client
   * {@code i} connects to the {@code i mod n}-th, so subscribers and publishers spread evenly.
   */
  List<URI> uris() {
    List<URI> uris = new ArrayList<>();
    for (String url : get("url").split(",")) {
      URI uri = URI.create(url.trim());
      if (!"ws".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new IllegalArgumentException("--url must be ws://host:port/path (wss is not supported), or several separated by commas");
      }
      // The server needs the protocol version; add it unless the caller wrote a query.
      if (uri.getRawQuery() == null) uri = URI.create(uri + "?vsn=2.0.0");
      uris.add(uri);
    }
    return uris;
  }


  List<String> sources() {
    String s = get("sources").trim();
    if (s.isEmpty()) return List.of();
    return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }

  int threads() {
    String t = get("threads");
    if (!t.isEmpty()) return integer("threads");
    return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
  }

  boolean isChild() {
    return !get("shard").isEmpty();
  }

  /** This process's share: {@code --shard i/N}, or the whole run. */
  Shard shard() {
    String s = get("shard");
    if (s.isEmpty()) return Shard.WHOLE;
    String[] parts = s.split("/");
    try {
      Shard shard = new Shard(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
      if (shard.index() < 0 || shard.index() >= shard.count()) throw new NumberFormatException();
      return shard;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--shard must be i/N with 0 ≤ i < N, got '" + s + "'");
    }
  }

  private static Map<String, String> defaults(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
    return m;
  }

  /** Parameters for the report: everything except the internal child-process options. */
  Map<String, String> reportedParameters() {
    Map<String, String> m = new LinkedHashMap<>(values);
    m.remove("shard");
    m.remove("child-json");
    m.remove("clock");
    if (scenario.equals("chaos")) {
      // No warm-up phase and no child processes in a chaos run.
      m.remove("warmup");
      m.remove("processes");
      m.remove("child-heap");
    }
    return m;
  }
}
