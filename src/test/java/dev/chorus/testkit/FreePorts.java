package dev.chorus.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for servers a test starts in other processes (nodes of a cluster, the fat jar), chosen
 * below the kernel's ephemeral range. A port the kernel handed out (binding port 0) is in that
 * range, and between the test closing it and the node binding it any process's outgoing
 * connection may take it as its local port: a started node's connections to its peers took a
 * port chosen for the next node ("Address already in use", RecoveryMultiJvmIT). Below the range
 * only servers bind, and each port is handed out once per test JVM.
 */
public final class FreePorts {
  private static final int LOWEST = 10_000;
  private static final Set<Integer> handedOut = new HashSet<>();

  private FreePorts() {}

  /** A port nothing listens on now, below the ephemeral range, not handed out before. */
  public static synchronized int next() throws IOException {
    int below = ephemeralLow();
    for (int attempt = 0; attempt < 1000; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(LOWEST, below);
      if (handedOut.contains(port)) continue;
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new InetSocketAddress(port));
      } catch (IOException inUse) {
        continue;
      }
      handedOut.add(port);
      return port;
    }
    throw new IOException("no free port in " + LOWEST + ".." + below);
  }

  /** The first port of the kernel's ephemeral range (net.ipv4.ip_local_port_range). */
  private static int ephemeralLow() {
    try {
      int low = Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+")[0]);
      return low > LOWEST + 1000 ? low : 32_768;
    } catch (IOException | RuntimeException e) {
      return 32_768; // Linux's default
    }
  }
}
