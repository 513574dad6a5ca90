package dev.chorus.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the server process uses, read from /proc: its resident memory (for "bytes per
 * connection" and growth under load) and its CPU time (for "CPU per delivery").
 */
final class ServerMemory {
  private ServerMemory() {}

  /** VmRSS of {@code pid} in KiB from /proc/PID/status, or -1 if unreadable. */
  static long rssKib(String pid) {
    if (pid == null || pid.isBlank()) return -1;
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
   * CPU time (user + system) of {@code pid} in seconds from /proc/PID/stat, or -1 if unreadable.
   * Ticks are 1/100 s on Linux (USER_HZ).
   */
  static double cpuSeconds(String pid) {
    if (pid == null || pid.isBlank()) return -1;
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
