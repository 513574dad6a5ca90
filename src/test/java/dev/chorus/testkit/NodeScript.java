package dev.chorus.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of src/test/js's Node scripts (those that drive headless Chromium among them) to its
 * end: its output goes to a file, so that a chatty browser never blocks on a full pipe, and past
 * the backstop the script and everything it started (the browser) are killed. The scripts bound
 * their own steps; the backstop only ends a script that hangs.
 */
public final class NodeScript {
  /** How a script ended: {@code ended} false when the backstop killed it. */
  public record Outcome(boolean ended, int exitValue, String output) {}

  private NodeScript() {}

  public static Outcome run(String script, List<String> args, Map<String, String> env, File log, Duration backstop)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("node", script));
    command.addAll(args);
    Files.createDirectories(log.getAbsoluteFile().getParentFile().toPath());
    ProcessBuilder pb = new ProcessBuilder(command)
        .directory(new File("src/test/js"))
        .redirectErrorStream(true)
        .redirectOutput(log);
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      boolean ended = p.waitFor(backstop.toMillis(), TimeUnit.MILLISECONDS);
      if (!ended) p.descendants().forEach(ProcessHandle::destroyForcibly);
      String output = Files.readString(log.toPath(), StandardCharsets.UTF_8);
      System.out.println(output);
      return new Outcome(ended, ended ? p.exitValue() : -1, output);
    } finally {
      p.destroyForcibly();
    }
  }
}
