package dev.chorus.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code --processes N}: the run split over N child JVMs (one process may hold at most 20000
 * sockets here). Each child gets {@code --shard i/N}, the same options otherwise, epoch-micro
 * stamps (its publishers' subscribers may be in another JVM), and writes its raw result to a
 * temp file; the parent starts them together (READY/GO) and merges counts and histograms.
 */
final class MultiProcessRunner {
  private MultiProcessRunner() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  static BenchResult run(BenchOptions o, long hardCapMillis) throws Exception {
    int n = o.integer("processes");
    String java = ProcessHandle.current().info().command().orElse(
        Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String classpath = System.getProperty("java.class.path");
    long rssBefore = o.scenario.equals("connect") ? ServerMemory.rssKib(o.get("server-pid")) : -1;

    List<Process> children = new ArrayList<>();
    List<Path> outputs = new ArrayList<>();
    CountDownLatch ready = new CountDownLatch(n);
    try {
      for (int i = 0; i < n; i++) {
        Path out = Files.createTempFile("chorus-bench-shard" + i + "-", ".json");
        outputs.add(out);
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + o.get("child-heap"), "-cp", classpath,
            Bench.class.getName(), o.scenario));
        cmd.addAll(childArgs(o.givenArgs));
        cmd.addAll(List.of("--shard", i + "/" + n, "--child-json", out.toString(), "--clock", "epoch"));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        int shard = i;
        Thread reader = new Thread(() -> relay(p, shard, ready), "bench-shard-" + i);
        reader.setDaemon(true);
        reader.start();
      }
      long deadline = System.currentTimeMillis() + hardCapMillis;
      while (!ready.await(200, TimeUnit.MILLISECONDS)) {
        for (Process p : children) {
          if (!p.isAlive()) throw new IllegalStateException("a child process exited before it was ready (exit " + p.exitValue() + ")");
        }
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("child processes not ready in time");
      }
      for (Process p : children) {
        OutputStream in = p.getOutputStream();
        in.write((ShardSignals.GO + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
      }
      BenchResult merged = new BenchResult();
      for (int i = 0; i < n; i++) {
        Process p = children.get(i);
        long left = Math.max(1, deadline - System.currentTimeMillis());
        if (!p.waitFor(left, TimeUnit.MILLISECONDS)) throw new IllegalStateException("child " + i + " exceeded the hard time cap");
        if (p.exitValue() != 0) throw new IllegalStateException("child " + i + " failed (exit " + p.exitValue() + ")");
        merged.merge(BenchResult.fromRawJson(JSON.readTree(outputs.get(i).toFile())));
      }
      // The children read the server's memory only after their own connects; the true "before"
      // is the parent's reading from before any child started.
      if (rssBefore >= 0) merged.gauges.put("server_rss_before_kib", (double) rssBefore);
      return merged;
    } finally {
      for (Process p : children) if (p.isAlive()) p.destroyForcibly();
      for (Path out : outputs) Files.deleteIfExists(out);
    }
  }

  /** The parent's options minus those only the parent acts on. */
  private static List<String> childArgs(List<String> given) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < given.size(); i++) {
      String a = given.get(i);
      String key = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
      boolean inline = a.contains("=");
      if (key.equals("--processes") || key.equals("--json")) {
        if (!inline) i++;
        continue;
      }
      out.add(a);
    }
    return out;
  }

  /** Children's stdout: READY lines count down; anything else is shown, prefixed. */
  private static void relay(Process p, int shard, CountDownLatch ready) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.trim().equals(ShardSignals.READY)) ready.countDown();
        else System.err.println("[shard " + shard + "] " + line);
      }
    } catch (IOException ignored) {
      // The child ended; its exit code tells the rest.
    }
  }
}
