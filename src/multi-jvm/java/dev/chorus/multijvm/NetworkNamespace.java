package dev.chorus.multijvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Linux network namespace for one node, joined to the test's namespace by two veth links: one
 * that carries cluster traffic (the one a test cuts to partition the node) and one for its
 * clients and management port, so the test can still watch the node after the partition.
 * Needs root (or CAP_NET_ADMIN) and {@code ip}; {@link #create} says why when it cannot.
 */
final class NetworkNamespace implements AutoCloseable {
  final String name;
  /** Cluster link: the test's side and the node's side. */
  final String clusterHostOutside = "10.213.0.1";
  final String clusterHostInside = "10.213.0.2";
  /** Client link. */
  final String clientHostInside = "10.214.0.2";
  private final String clusterLink;
  private final String clientLink;

  private NetworkNamespace(String name) {
    this.name = name;
    this.clusterLink = "chc" + (ProcessHandle.current().pid() % 100000);
    this.clientLink = "chw" + (ProcessHandle.current().pid() % 100000);
  }

  /** The namespace, or an exception whose message says why it cannot be made here. */
  static NetworkNamespace create(String name) throws IOException, InterruptedException {
    NetworkNamespace ns = new NetworkNamespace(name);
    ns.run(false, "ip", "netns", "del", name); // a leftover of a killed run
    try {
      ns.run(true, "ip", "netns", "add", name);
      ns.link(ns.clusterLink, "10.213.0.1/30", ns.clusterHostInside + "/30");
      ns.link(ns.clientLink, "10.214.0.1/30", ns.clientHostInside + "/30");
      ns.run(true, "ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
    } catch (IOException e) {
      ns.close();
      throw e;
    }
    return ns;
  }

  private void link(String link, String outside, String inside) throws IOException, InterruptedException {
    run(true, "ip", "link", "add", link + "o", "type", "veth", "peer", "name", link + "i");
    run(true, "ip", "link", "set", link + "i", "netns", name);
    run(true, "ip", "addr", "add", outside, "dev", link + "o");
    run(true, "ip", "link", "set", link + "o", "up");
    run(true, "ip", "netns", "exec", name, "ip", "addr", "add", inside, "dev", link + "i");
    run(true, "ip", "netns", "exec", name, "ip", "link", "set", link + "i", "up");
  }

  /** The command prefix that runs a process inside the namespace. */
  List<String> prefix() {
    return List.of("ip", "netns", "exec", name);
  }

  /** Cuts the cluster link: no packet passes either way; the client link stays up. */
  void partition() throws IOException, InterruptedException {
    run(true, "ip", "link", "set", clusterLink + "o", "down");
  }

  private void run(boolean check, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
    if (check && p.exitValue() != 0) throw new IOException(String.join(" ", command) + " failed: " + out);
  }

  @Override
  public void close() throws IOException, InterruptedException {
    run(false, "ip", "link", "del", clusterLink + "o");
    run(false, "ip", "link", "del", clientLink + "o");
    run(false, "ip", "netns", "del", name);
  }
}
