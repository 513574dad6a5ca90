package dev.chorus.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The resident memory of the server process, for "bytes per connection". */
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
}
