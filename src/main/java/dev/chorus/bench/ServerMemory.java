package dev.chorus.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.ToDoubleFunction;

/**
 * What the server process uses, read from /proc: its resident memory (for "bytes per
 * connection" and growth under load) and its CPU time (for "CPU per delivery"). A cluster's
 * nodes on this machine are given as several pids separated by commas: the figures are their sums.
 */
final class ServerMemory {
  private ServerMemory() {}

  /** VmRSS of {@code pids} (one or several, by commas) in KiB from /proc/PID/status, or -1 if unreadable. */
  static long rssKib(String pids) {
    return (long) sum(pids, ServerMemory::rssKibOf);
  }

  /** The sum over {@code pids} (one or several, by commas) of a figure per process; -1 if one is unreadable. */
  private static double sum(String pids, ToDoubleFunction<String> ofOne) {
    if (pids == null || pids.isBlank()) return -1;
    double sum = 0;
    for (String pid : pids.split(",")) {
      double one = ofOne.applyAsDouble(pid.trim());
      if (one < 0) return -1;
      sum += one;
    }
    return sum;
  }

  private static long rssKibOf(String pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", pid.trim(), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /**
   * CPU time (user + system) of {@code pids} in seconds from /proc/PID/stat, or -1 if unreadable.
   * Ticks are 1/100 s on Linux (USER_HZ).
   */
  static double cpuSeconds(String pids) {
    return sum(pids, ServerMemory::cpuSecondsOf);
  }

  private static double cpuSecondsOf(String pid) {
    try {
      String stat = Files.readString(Path.of("/proc", pid.trim(), "stat"));
      // Fields after the command name, which is in parentheses and may hold spaces.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
