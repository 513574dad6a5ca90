package dev.chorus.bench;

import dev.chorus.bench.ChaosChecker.Findings;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * {@code chaos}: clients spread over a cluster's nodes, each in a few rooms, reconnecting and
 * recovering like phoenix.js whenever their connection ends, while publishers push numbered
 * messages at a steady rate and whoever runs it kills, drains and restarts nodes. Then it waits
 * for everyone to catch up and reports, from {@link ChaosChecker}, whether every client got
 * every message once and in order (lost, duplicated, out of order, diverged, recovered false),
 * with the reconnects the servers absorbed and each client's time without service.
 *
 * <p>Phases, each bounded: everyone connects (paced at --connect-rate) and joins, within 30 s;
 * publishing, --duration (or until {@link ChaosControl#endPublishing}); settling, at most
 * --settle, until every client is in service and caught up with every topic and every push is
 * answered or timed out; closing, at most 10 s. Single process: one checker sees every client.
 */
final class ChaosScenario {
  static final long CONNECT_SETTLE_MILLIS = 30_000;
  static final long CLOSE_MILLIS = 10_000;
  private static final long POLL_MILLIS = 100;

  private ChaosScenario() {}

  static BenchResult run(BenchOptions o, ChaosControl control) throws Exception {
    List<URI> uris = o.uris();
    ChaosPlan plan = new ChaosPlan(o.integer("clients"), o.integer("rooms"), o.integer("rooms-per-client"),
        uris.size(), o.integer("publishers-per-node"), o.rate("rate"));
    long origin = System.nanoTime();
    ChaosChecker checker = new ChaosChecker();
    ChaosStats stats = new ChaosStats(origin);
    BenchResult result = new BenchResult();

    try (ClientTransport transport = new ClientTransport(uris, o.sources(), o.threads(), o.durationMillis("heartbeat"))) {
      ChaosClient.Context cx = new ChaosClient.Context(transport, o.get("topic-prefix"), checker, stats, o.durationMillis("heartbeat"));
      List<ChaosClient> clients = new ArrayList<>();
      List<ChaosPublisher> publishers = new ArrayList<>();
      for (int id = 0; id < plan.total(); id++) {
        ChaosClient c = new ChaosClient(id, plan.firstNode(id), plan.roomsOf(id), cx);
        clients.add(c);
        if (plan.isPublisher(id)) publishers.add(new ChaosPublisher(id - plan.clients, c, plan.ratePerPublisher, checker, stats));
      }

      // Connect everyone, paced. A client that fails retries as phoenix.js would, so this waits
      // until everyone is in service (or the bound).
      double intervalNanos = 1e9 / o.rate("connect-rate");
      long rampStart = System.nanoTime();
      for (int k = 0; k < clients.size(); k++) {
        long wait;
        while ((wait = rampStart + (long) (k * intervalNanos) - System.nanoTime()) > 0) LockSupport.parkNanos(wait);
        clients.get(k).start();
      }
      double rampSeconds = (System.nanoTime() - rampStart) / 1e9;
      await(() -> inService(clients) == clients.size(), CONNECT_SETTLE_MILLIS);
      int joinedAtStart = inService(clients);
      reportConnectPhase(result, stats, clients.size(), joinedAtStart, rampSeconds, (System.nanoTime() - rampStart) / 1e9);
      if (joinedAtStart == 0) {
        throw new IllegalStateException("no client could connect and join: " + stats.connectFailures() + " " + stats.joinErrors());
      }

      ChaosControl.Live live = new ChaosControl.Live() {
        @Override
        public int clients() {
          return clients.size();
        }

        @Override
        public int inService() {
          return ChaosScenario.inService(clients);
        }

        @Override
        public long pushesAcked() {
          return stats.pushesAcked.sum();
        }

        @Override
        public long reconnects() {
          return stats.reconnects.sum();
        }

        @Override
        public void dropSubscriberConnections(long awayMillis) {
          for (ChaosClient c : clients) if (!plan.isPublisher(c.id)) c.drop(awayMillis);
        }
      };
      long publishStart = System.nanoTime();
      publishers.forEach(ChaosPublisher::start);
      control.publishingStarted(live);
      control.awaitEndRequest(o.durationMillis("duration"));
      List<Future<?>> stopped = new ArrayList<>();
      for (ChaosPublisher p : publishers) stopped.add(p.stopPublishing());
      for (Future<?> f : stopped) f.get(CLOSE_MILLIS, TimeUnit.MILLISECONDS);
      long publishEnd = System.nanoTime();

      // Everyone back in service, every push answered (or timed out), every acked push received
      // by someone (an ack may arrive before its broadcast), and every client at the newest
      // position anyone saw in each of its topics.
      boolean caughtUp = await(() -> inService(clients) == clients.size()
          && publishers.stream().allMatch(p -> p.pending() == 0)
          && checker.ackedNotYetSeen() == 0
          && allCaughtUp(clients, checker), o.durationMillis("settle"));
      long settleEnd = System.nanoTime();
      int inServiceAtEnd = inService(clients);
      long outagesUnfinished = 0;
      for (ChaosClient c : clients) {
        long since = c.outageStartNanos();
        if (since >= 0 && !c.inService()) {
          outagesUnfinished++;
          stats.outage(settleEnd - since); // still without service at the end: as long as it lasted
        }
      }

      clients.forEach(ChaosClient::close);
      await(() -> clients.stream().noneMatch(ChaosClient::isOpen), CLOSE_MILLIS);

      result.gauge("chaos.publishing_seconds", (publishEnd - publishStart) / 1e9);
      result.gauge("chaos.settle_seconds", (settleEnd - publishEnd) / 1e9);
      result.count("chaos.caught_up", caughtUp ? 1 : 0);
      result.count("chaos.in_service_at_end", inServiceAtEnd);
      result.count("chaos.outages_unfinished", outagesUnfinished);
      reportPlan(result, plan);
      reportFindings(result, checker.findings());
      reportStats(result, stats);
      result.notes.put("transport", transport.kind());
    }
    return result;
  }

  static int inService(List<ChaosClient> clients) {
    int n = 0;
    for (ChaosClient c : clients) if (c.inService()) n++;
    return n;
  }

  private static boolean allCaughtUp(List<ChaosClient> clients, ChaosChecker checker) {
    for (ChaosClient c : clients) {
      for (int k = 0; k < c.roomCount(); k++) if (!checker.caughtUp(c.id, c.room(k))) return false;
    }
    return true;
  }

  /** Polls {@code condition} until it holds (true) or {@code millis} pass (false). */
  private static boolean await(BooleanSupplier condition, long millis) throws InterruptedException {
    long end = System.nanoTime() + millis * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() >= end) return false;
      Thread.sleep(POLL_MILLIS); // the poll interval of this await
    }
    return true;
  }

  /** The first connection of every client, in the figures every scenario reports ("connections"). */
  private static void reportConnectPhase(BenchResult r, ChaosStats stats, int clients, int joined, double ramp, double lastJoin) {
    r.count("connect.attempted", clients);
    r.count("connect.joined", joined);
    r.count("connect.pending", clients - joined);
    stats.connectFailures().forEach((k, v) -> r.count("connect.failed_reason." + k, v));
    r.gauge("connect.ramp_seconds", ramp);
    r.gauge("connect.last_join_seconds", lastJoin);
    r.addHistogram("connect.latency", stats.firstService.copy());
  }

  private static void reportPlan(BenchResult r, ChaosPlan plan) {
    r.count("chaos.clients_total", plan.total());
    r.count("chaos.subscribers", plan.clients);
    r.count("chaos.publishers", plan.publishers);
    r.count("chaos.rooms", plan.rooms);
    r.count("chaos.rooms_per_client", plan.roomsPerClient);
    r.count("chaos.nodes", plan.nodes);
    r.gauge("chaos.rate_per_publisher", plan.ratePerPublisher);
  }

  private static void reportFindings(BenchResult r, Findings f) {
    r.count("chaos.lost", f.lost());
    r.count("chaos.lost_by_clients", f.lostByClients());
    r.count("chaos.lost_with_node", f.lostWithNode());
    r.count("chaos.acked_unseen", f.ackedUnseen());
    r.count("chaos.duplicated", f.duplicated());
    r.count("chaos.duplicated_by_clients", f.duplicatedByClients());
    r.count("chaos.duplicated_publishes", f.duplicatedPublishes());
    r.count("chaos.out_of_order", f.outOfOrder());
    r.count("chaos.diverged", f.diverged());
    r.count("chaos.recovered_true", f.recoveredTrue());
    r.count("chaos.replayed", f.replayed());
    r.count("chaos.recovered_false", f.recoveredFalse());
    f.recoveredFalseReasons().forEach((k, v) -> r.count("chaos.recovered_false_reason." + k, v));
    r.count("chaos.told_gap", f.toldGap());
    r.count("chaos.epoch_changes", f.epochChanges());
    r.count("chaos.epoch_switches_unannounced", f.unannouncedEpochSwitches());
    r.count("chaos.implausible", f.implausible());
    r.count("chaos.positions", f.positions());
    r.count("chaos.deliveries", f.deliveries());
    for (int i = 0; i < f.lostSamples().size(); i++) r.notes.put("chaos.lost_sample_" + (i + 1), f.lostSamples().get(i));
  }

  private static void reportStats(BenchResult r, ChaosStats s) {
    r.count("chaos.pushes.sent", s.pushesSent.sum());
    r.count("chaos.pushes.acked", s.pushesAcked.sum());
    r.count("chaos.pushes.refused", s.pushesRefused.sum());
    r.count("chaos.pushes.unanswered", s.pushesUnanswered.sum());
    r.count("chaos.pushes.skipped_not_joined", s.pushesSkippedNotJoined.sum());
    r.count("chaos.pushes.skipped_late", s.pushesSkippedLate.sum());
    r.count("chaos.pushes.late_replies", s.lateReplies.sum());
    s.pushRefusals().forEach((k, v) -> r.count("chaos.push_refused_reason." + k, v));
    r.count("chaos.reconnects", s.reconnects.sum());
    r.count("chaos.reconnect_attempts", s.reconnectAttempts.sum());
    r.gauge("chaos.reconnects_peak_per_second", s.peakReconnectsPerSecond());
    for (Map.Entry<String, Long> e : s.connectFailures().entrySet()) r.count("chaos.connect_failed." + e.getKey(), e.getValue());
    for (Map.Entry<String, Long> e : s.connectionEnds().entrySet()) r.count("chaos.connection_ended." + e.getKey(), e.getValue());
    for (Map.Entry<String, Long> e : s.joinErrors().entrySet()) r.count("chaos.join_error." + e.getKey(), e.getValue());
    r.count("chaos.join_timeouts", s.joinTimeouts.sum());
    r.count("chaos.channel_errors", s.channelErrors.sum());
    r.count("chaos.heartbeat_timeouts", s.heartbeatTimeouts.sum());
    r.count("chaos.ignored_while_joining", s.ignoredWhileJoining.sum());
    r.count("chaos.frames_unrecognised", s.framesUnrecognised.sum());
    r.addHistogram("chaos.without_service", s.withoutService.copy());
    String timeline = s.reconnectTimeline();
    if (!timeline.isEmpty()) r.notes.put("chaos.reconnects_per_second_at", timeline);
  }
}
