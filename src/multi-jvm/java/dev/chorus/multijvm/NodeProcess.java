package dev.chorus.multijvm;

import dev.chorus.testkit.PhxClient;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One Chorus node running as its own JVM from the fat jar, on loopback or in a network namespace. */
public final class NodeProcess {
  /**
   * Where a node runs: a command prefix (e.g. {@code ip netns exec ns}) and the addresses its
   * WebSocket, cluster and management ports listen on.
   */
  record Placement(List<String> prefix, String wsHost, String clusterHost, String managementHost) {
    static final Placement LOOPBACK = new Placement(List.of(), "127.0.0.1", "127.0.0.1", "127.0.0.1");
  }

  /**
   * What one node gets besides the cluster's common JVM options: more JVM options, flags after the
   * standard ones (e.g. {@code --config FILE}) and environment variables.
   */
  record Setup(List<String> jvmOptions, List<String> flags, Map<String, String> env) {
    static final Setup NONE = new Setup(List.of(), List.of(), Map.of());
  }

  static final String ADMIN_KEY = "multi-jvm-test-key";
  static final String API_KEY = "multi-jvm-api-key";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  final int index;
  final int wsPort;
  final int clusterPort;
  final int managementPort;
  final File log;
  final Placement placement;
  private final List<String> command;
  private final Map<String, String> env;
  private Process process;

  /** A Phoenix client of this node's WebSocket, named "node N"; its reads wait up to 15 s. */
  PhxClient client() throws IOException {
    return PhxClient.connect(placement.wsHost(), wsPort, PhxClient.VSN, 0).named("node " + index).withWait(Duration.ofSeconds(15));
  }

  NodeProcess(int index, int wsPort, int clusterPort, int managementPort, File log, List<String> seeds,
      List<String> jvmOptions, Placement placement) {
    this(index, wsPort, clusterPort, managementPort, log, seeds, jvmOptions, placement, Setup.NONE);
  }

  NodeProcess(int index, int wsPort, int clusterPort, int managementPort, File log, List<String> seeds,
      List<String> jvmOptions, Placement placement, Setup setup) {
    this.index = index;
    this.placement = placement;
    this.wsPort = wsPort;
    this.clusterPort = clusterPort;
    this.managementPort = managementPort;
    this.log = log;
    List<String> c = new ArrayList<>(placement.prefix());
    c.add(ProcessHandle.current().info().command().orElse("java"));
    c.add("-Xmx256m");
    c.add("-XX:+UseSerialGC");
    c.addAll(jvmOptions);
    c.addAll(setup.jvmOptions());
    // CHORUS_IT_NODE_OPTS adds JVM options to every node, to look into a failure, e.g.
    // "-Dlogback.configurationFile=/path/debug.xml -Dpekko.loglevel=DEBUG".
    String extra = System.getenv("CHORUS_IT_NODE_OPTS");
    if (extra != null && !extra.isBlank()) c.addAll(List.of(extra.trim().split("\\s+")));
    c.addAll(List.of("-jar", System.getProperty("chorus.jar", "target/chorus.jar"),
        "--host", placement.wsHost(),
        "--cluster-host", placement.clusterHost(),
        "--management-host", placement.managementHost(),
        "--port", String.valueOf(wsPort),
        "--cluster-port", String.valueOf(clusterPort),
        "--management-port", String.valueOf(managementPort),
        "--admin-key", ADMIN_KEY,
        "--api-key", API_KEY,
        "--seed-nodes", String.join(",", seeds)));
    c.addAll(setup.flags());
    this.command = List.copyOf(c);
    this.env = Map.copyOf(setup.env());
  }

  /** The node's cluster address, as members and seed nodes name it. */
  String address() {
    return "pekko://chorus@" + placement.clusterHost() + ":" + clusterPort;
  }

  void start() throws IOException {
    launch(ProcessBuilder.Redirect.to(log));
  }

  /**
   * Starts the node again after its process ended (killed, or drained and exited): a new JVM with
   * the same ports, cluster address and options, which joins the cluster through the seed nodes
   * like any new node (a seed node that is not the first of the list joins the others too). Its
   * log goes on in the same file.
   */
  void restart() throws IOException {
    if (alive()) throw new IllegalStateException("node " + index + " is still running");
    Files.writeString(log.toPath(), "\n==== node " + index + " restarted ====\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    launch(ProcessBuilder.Redirect.appendTo(log));
  }

  private void launch(ProcessBuilder.Redirect output) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output);
    builder.environment().putAll(env);
    process = builder.start();
    process.getOutputStream().close();
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  /** The node's process id (for a script that kills it itself). */
  long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hook, no goodbye to the cluster; the kernel resets its sockets. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /**
   * SIGSTOP: the JVM stops running but keeps its sockets; to the cluster the node is there and
   * answers nothing (a hung or unreachable node), until {@link #resume}.
   */
  void pause() throws IOException, InterruptedException {
    signal("-STOP");
  }

  /** SIGCONT after {@link #pause}. */
  void resume() throws IOException, InterruptedException {
    signal("-CONT");
  }

  private void signal(String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", signal, String.valueOf(process.pid())).redirectErrorStream(true).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill " + signal + " " + process.pid() + " failed");
    }
  }

  /** SIGTERM: the node drains and leaves, as in production. */
  void terminate() {
    process.destroy();
  }

  boolean awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  int exitCode() {
    return process.exitValue();
  }

  /** GET on the management port; status -1 when the node does not answer. */
  Response get(String path) {
    return send(HttpRequest.newBuilder(managementUri(path)).timeout(Duration.ofSeconds(5)).GET().build());
  }

  Response adminPost(String path) {
    return send(HttpRequest.newBuilder(managementUri(path)).timeout(Duration.ofSeconds(5))
        .header("Authorization", "Bearer " + ADMIN_KEY)
        .POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  /** POST of a JSON body to the API for backends. */
  Response apiPost(String path, String json) {
    return send(HttpRequest.newBuilder(managementUri(path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + API_KEY).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  /** GET on the API for backends. */
  Response apiGet(String path) {
    return send(HttpRequest.newBuilder(managementUri(path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + API_KEY).GET().build());
  }

  Response adminGet(String path) {
    return send(HttpRequest.newBuilder(managementUri(path)).timeout(Duration.ofSeconds(5))
        .header("Authorization", "Bearer " + ADMIN_KEY).GET().build());
  }

  /** A counter or gauge from /metrics (the sample without labels), or -1 when unreadable. */
  double metric(String name) {
    Response r = get("/metrics");
    if (r.status() != 200) return -1;
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.eE+-]+)$").matcher(r.body());
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  String logText() {
    try {
      return Files.readString(log.toPath(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private URI managementUri(String path) {
    return URI.create("http://" + placement.managementHost() + ":" + managementPort + path);
  }

  private static Response send(HttpRequest request) {
    try {
      HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Response(r.statusCode(), r.body());
    } catch (IOException e) {
      return new Response(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Response(-1, e.toString());
    }
  }

  record Response(int status, String body) {}
}
