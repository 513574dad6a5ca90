package dev.chorus.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * {@code chorus bench <scenario> [options]}: the load generator. See {@link #help()}.
 *
 * <p>Exit codes: 0 done (the report tells how well the server did), 1 the run itself failed
 * (nothing could connect, a child process failed, the hard time cap was hit), 2 bad usage.
 */
public final class Bench {
  private Bench() {}

  public static void main(String[] args) {
    System.exit(run(Arrays.asList(args)));
  }

  public static int run(List<String> args) {
    if (args.isEmpty() || args.contains("--help") || args.contains("-h") || args.get(0).equals("help")) {
      System.out.print(help());
      return args.isEmpty() ? 2 : 0;
    }
    BenchOptions options;
    try {
      options = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage() + " (see bench --help)");
      return 2;
    }
    try {
      return execute(options);
    } catch (Exception e) {
      System.err.println("bench: " + options.scenario + " failed: " + e);
      return 1;
    }
  }

  private static int execute(BenchOptions o) throws Exception {
    int processes = o.integer("processes");
    BenchResult result;
    if (processes > 1 && !o.isChild()) {
      result = MultiProcessRunner.run(o, hardCapMillis(o));
    } else {
      boolean epoch = o.get("clock").equals("epoch");
      result = runScenario(o, new ShardSignals(o.isChild()), new BenchClock(epoch));
    }
    ObjectMapper json = new ObjectMapper();
    if (o.isChild()) {
      json.writeValue(Path.of(o.get("child-json")).toFile(), result.toRawJson());
      return 0;
    }
    ObjectNode report = BenchReport.build(o, result, processes);
    System.out.print(BenchReport.table(report));
    String out = o.get("json");
    if (!out.isEmpty()) {
      Files.writeString(Path.of(out), json.writerWithDefaultPrettyPrinter().writeValueAsString(report));
      System.out.println("json written to " + out);
    }
    return 0;
  }

  private static BenchResult runScenario(BenchOptions o, ShardSignals signals, BenchClock clock) throws Exception {
    return switch (o.scenario) {
      case "connect" -> ConnectScenario.run(o, signals);
      case "fanout", "bigroom" -> FanoutScenario.run(o, signals, clock);
      case "chaos" -> ChaosScenario.run(o, new ChaosControl());
      default -> throw new IllegalArgumentException(o.scenario);
    };
  }

  /**
   * Upper bound of a whole run: every wait inside a scenario is bounded (ramp at the given
   * rate, 30 s to settle joins, warm-up, duration, ≤10 s drain, ≤5 s for slow clients, ≤10 s
   * close); this adds them up with slack, and child processes are killed past it.
   */
  static long hardCapMillis(BenchOptions o) {
    if (o.scenario.equals("chaos")) {
      // connect (paced, then ≤30 s to join), publishing, settle, ≤10 s close
      long ramp = (long) (o.integer("clients") / o.rate("connect-rate") * 1000);
      return ramp + ChaosScenario.CONNECT_SETTLE_MILLIS + o.durationMillis("duration") + o.durationMillis("settle")
          + ChaosScenario.CLOSE_MILLIS + 60_000;
    }
    int connections = switch (o.scenario) {
      case "connect" -> o.integer("connections");
      case "fanout" -> o.integer("subscribers");
      default -> o.integer("members");
    };
    double rate = o.scenario.equals("connect") ? o.rate("rate") : o.rate("connect-rate");
    long ramp = (long) (connections / rate * 1000 * 2);
    return ramp + 30_000 + o.durationMillis("warmup") + o.durationMillis("duration") + 60_000;
  }

  static String help() {
    return """
        Usage: java -jar chorus.jar bench <scenario> [options]

        Load generator for Chorus (Phoenix Channels v2 over WebSocket). Every run is bounded:
        connection ramp-up, then --warmup (not measured), then --duration (measured), then a
        bounded drain and close. Prints a table; --json also writes the figures to a file.

        Scenarios
          connect   open idle connections, each joined to one room, hold them, close them
              --connections N     connections to open (default 1000)
              --rate R/s          connection attempts per second (default 1000)
              --rooms K           rooms the connections join, round-robin (default 10)
              --warmup-connections W  first open and close W more (same rate and rooms), unmeasured:
                                  the load generator and the server warm (default 0)
              --server-pid PID    report the server's VmRSS before/after and bytes per connection
          fanout    S subscribers over R rooms; separate publisher connections push at P/s total
              --subscribers S     subscribers, spread evenly: subscriber i is in room i %% R (default 1000)
              --rooms R           rooms (default 10)
              --rate P/s          publishes per second, all publishers together (default 100)
              --payload BYTES     size of each publish payload {"t":..,"m":..,"p":"xxx"} (default 100)
              --slow-fraction F   share of subscribers that stop reading after warm-up (SO_RCVBUF 4 KiB);
                                  reported apart, with how many the server closed (4000) (default 0)
              --warmup-slow-fraction F  as many extra subscribers (F x S, spread like the others) that
                                  stop reading when the warm-up starts, so the server has closed slow
                                  clients before the measured phase, as one that has run a while has
                                  (a first mass close in a JVM's life deoptimises hot code) (default 0)
              --publisher-rate R  most publishes/s one publisher connection sends (default 50: the room
                                  namespace allows 100/s per connection and topic, 200 frames/s per
                                  connection); publishers = max(ceil(P / R), ceil(rooms / 100))
              --connect-rate R/s  connection attempts per second during ramp-up (default 2000)
              --event NAME        event name of the pushes (default msg)
              --server-pid PID    report the server's CPU time per delivery and its VmRSS over the
                                  measured phase (a server on this machine)
          bigroom   fanout with one room
              --members M         members of the room (default 1000); --rate, --payload, --slow-fraction,
                                  --warmup-slow-fraction, --publisher-rate, --connect-rate, --event, --server-pid as for fanout

          chaos     clients spread over a cluster's nodes reconnect and recover like phoenix.js while
                    publishers push numbered messages; kill, drain and restart nodes meanwhile, and
                    it reports whether every client got every message once, in order
              --clients N         subscriber clients; client i starts on node i mod n (default 300)
              --rooms R           rooms (default 10)
              --rooms-per-client K  rooms each client joins, spread so every room has members
                                  starting on every node (default 2)
              --rate P/s          publishes per second, all publishers together (default 100)
              --publishers-per-node N  publisher clients per node, each joined to the rooms it
                                  publishes to; every room has one (default 1)
              --settle D          after --duration, the longest wait for every client to be back
                                  and caught up with every topic (default 30s)
              --connect-rate R/s  first connections per second (default 1000)
              A closed or failed connection reconnects with phoenix.js's backoff (10 ms .. 5 s) to
              the NEXT node of --url, and rejoins with since = the last position it saw; a refused
              or unanswered join is retried after 1, 2, 5, then 10 s. No --processes.

        Common options
          --url URL[,URL..]     WebSocket endpoint (default ws://127.0.0.1:4000/socket/websocket;
                                ?vsn=2.0.0 is added when the URL has no query); several (a cluster's
                                nodes): client i connects to the (i mod n)-th
          --duration D          measured phase (connect: hold time) (default 30s; also 500ms, 2m)
          --warmup D            unmeasured phase before it (default 5s)
          --json FILE           also write the report as JSON
          --sources A,B,..      local addresses to bind, round-robin (e.g. 127.0.0.1,127.0.0.2): each has
                                its own ~28k ephemeral ports towards the server
          --processes N         split the connections over N child JVMs (≤ 20000 sockets per process);
                                they stamp with epoch µs and the parent merges their histograms
          --child-heap SIZE     -Xmx of each child JVM (default 1g)
          --threads N           Netty event loop threads (default min(4, CPUs))
          --heartbeat D         heartbeat interval per connection (default 30s; server idle timeout 60s)
          --topic-prefix P      rooms are P0, P1, … (default room:r)

        Figures
          fanout: publishes, expected deliveries (= publishes × room size, exact per room), received
          deliveries, delivery ratio, deliveries/s and end-to-end latency p50/p99/p99.9/max in µs
          (HdrHistogram), per phase and for healthy and slow subscribers apart; and the capacity
          model line: amplified writes/s = publishes/s × average room size.
          connect: connect+handshake+join latency, achieved rate, failures by reason, server memory.
          chaos: lost (owed positions a client never got, acked pushes nobody got; apart,
          lost_with_node: unacked messages only clients of a node that died had got), duplicated,
          out_of_order, diverged (two messages at one position), recovered_false (and reasons;
          its gap counted apart as told_gap), epoch_changes, pushes acked/refused/unanswered,
          reconnects (total, peak per second) and time without service per outage (p50/p99/max).

        Examples
          bench connect --connections 10000 --rate 2000/s --rooms 100 --server-pid 1234 --duration 20s
          bench fanout --subscribers 10000 --rooms 100 --rate 100/s --payload 100 --json out.json
          bench bigroom --members 5000 --rate 20/s --slow-fraction 0.1
          bench chaos --url ws://127.0.0.1:4000/socket/websocket,ws://127.0.0.1:4001/socket/websocket --duration 60s
        """.replace("%%", "%");
  }
}
