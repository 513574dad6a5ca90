package dev.chorus.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code connect}: opens many idle connections at a paced rate, each joined to one of K rooms,
 * holds them (heartbeating) for the duration, then closes them. Measures connect+join latency,
 * the achieved rate, failures and — with --server-pid — the server's memory per connection.
 * With --warmup-connections, a first wave of that many (same rate, same rooms) is opened and
 * closed before, unmeasured: a fresh load generator is itself cold (its first seconds of
 * handshakes run interpreted and set the tail), and a node that takes a reconnect storm has
 * run for a while.
 */
final class ConnectScenario {
  private ConnectScenario() {}

  static BenchResult run(BenchOptions o, ShardSignals signals) throws Exception {
    Shard shard = o.shard();
    int connections = o.integer("connections");
    int rooms = o.integer("rooms");
    double rate = o.rate("rate") / shard.count();
    String pid = o.get("server-pid");
    String prefix = o.get("topic-prefix");
    BenchResult result = new BenchResult();

    JoinTracker tracker = new JoinTracker();
    LongAdder closedDuringHold = new LongAdder();
    PhoenixClient.Listener listener = new JoinTracker.Reporting(tracker) {
      @Override
      public void closed(PhoenixClient c) {
        if (c.isJoined() && c.closedByServer()) closedDuringHold.increment();
      }
    };

    try (ClientTransport transport = new ClientTransport(o.uris(), o.sources(), o.threads(), o.durationMillis("heartbeat"))) {
      int warmup = o.integer("warmup-connections");
      if (warmup > 0) {
        JoinTracker warm = new JoinTracker();
        List<PhoenixClient> warmClients = new ArrayList<>();
        for (int g = 0; g < warmup; g++) {
          if (!shard.owns(g)) continue;
          warmClients.add(new PhoenixClient(connections + g, false, List.of(prefix + (g % rooms)), transport.heartbeatMillis(),
              new JoinTracker.Reporting(warm)));
        }
        warm.openAll(transport, warmClients, rate, 30_000);
        closeAll(warmClients);
        result.count("warmup.joined", warm.joinedCount());
      }
      long rssBefore = ServerMemory.rssKib(pid);
      double cpuBefore = ServerMemory.cpuSeconds(pid);
      List<PhoenixClient> clients = new ArrayList<>();
      for (int g = 0; g < connections; g++) {
        if (!shard.owns(g)) continue;
        clients.add(new PhoenixClient(g, false, List.of(prefix + (g % rooms)), transport.heartbeatMillis(), listener));
      }
      tracker.openAll(transport, clients, rate, 30_000);
      signals.readyAndAwaitGo();

      long holdStart = System.nanoTime();
      Thread.sleep(o.durationMillis("duration"));
      result.gauge("hold_seconds", (System.nanoTime() - holdStart) / 1e9);
      long rssAfter = ServerMemory.rssKib(pid);
      long joinedAtEnd = clients.stream().filter(c -> c.isJoined() && !c.isInactive()).count();

      closeAll(clients);
      double cpuAfter = ServerMemory.cpuSeconds(pid);
      // The server's CPU for the whole wave: connects, joins, heartbeats of the hold, closes.
      if (cpuBefore >= 0 && cpuAfter >= 0) result.gauge("server_cpu_seconds", cpuAfter - cpuBefore);
      result.count("connections_planned", clients.size());
      result.count("open_at_end_of_hold", joinedAtEnd);
      result.count("closed_by_server_during_hold", closedDuringHold.sum());
      tracker.report(result, "connect.");
      if (rssBefore >= 0) result.gauge("server_rss_before_kib", rssBefore);
      if (rssAfter >= 0) result.gauge("server_rss_after_kib", rssAfter);
      result.notes.put("transport", transport.kind());
    }
    return result;
  }

  /** Closes every connection and waits (bounded) until they are gone. */
  static void closeAll(List<PhoenixClient> clients) throws InterruptedException {
    for (PhoenixClient c : clients) c.close();
    long deadline = System.nanoTime() + 10_000_000_000L;
    for (PhoenixClient c : clients) {
      while (c.channel() != null && c.channel().isOpen() && System.nanoTime() < deadline) Thread.sleep(5);
    }
  }
}
