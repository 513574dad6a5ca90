package dev.chorus.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The chaos scenario as a library call, for a test that runs it in its own JVM while it kills,
 * drains and restarts nodes, and reads the figures from the result rather than from stdout.
 */
public final class ChaosBench {
  private ChaosBench() {}

  /**
   * Runs {@code bench chaos <args>} ("chaos" first or not) to its end and returns the report;
   * {@code control} shows the run while it goes and may end its publishing phase early.
   *
   * @throws IllegalArgumentException on bad options, as the command's usage errors
   */
  public static ChaosOutcome run(List<String> args, ChaosControl control) throws Exception {
    List<String> all = new ArrayList<>(args);
    if (all.isEmpty() || !all.get(0).equals("chaos")) all.add(0, "chaos");
    BenchOptions options = BenchOptions.parse(all);
    BenchResult result = ChaosScenario.run(options, control);
    ObjectNode report = BenchReport.build(options, result, 1);
    return new ChaosOutcome(report, BenchReport.table(report));
  }
}
