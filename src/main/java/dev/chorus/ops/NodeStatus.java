package dev.chorus.ops;

import dev.chorus.metrics.Metrics;
import dev.chorus.transport.Connections;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * One per node, registered with the receptionist: what the admin API shows of this node to an
 * operator on any node. It answers the node's {@link NodeStats} (GET /admin/nodes), keeps a
 * {@link Sample} of every chorus.admin.sample-interval for chorus.admin.sample-history and
 * answers them, or the latest (GET /admin/stream), and drains the node when asked
 * (POST /admin/nodes/drain, {@link NodeDrain}).
 *
 * <p>Sampling is cheap: a few counters, one histogram's buckets and the JVM's beans each
 * interval; the samples kept are ~300 small records.
 */
public final class NodeStatus {
  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "chorus-node-status");

  /** The project's version, from a resource Maven fills in. */
  public static final String VERSION = readVersion();

  public sealed interface Command {}

  public record GetStats(ActorRef<Stats> replyTo) implements Command, OpsMessage {}

  public record Stats(String node, NodeStats stats) implements OpsMessage {}

  /** The kept samples, oldest first. */
  public record GetSamples(ActorRef<Samples> replyTo) implements Command, OpsMessage {}

  public record Samples(String node, List<Sample> samples) implements OpsMessage {}

  /** The newest sample (null before the first interval has ended). */
  public record GetLatest(ActorRef<Latest> replyTo) implements Command, OpsMessage {}

  public record Latest(String node, Sample sample) implements OpsMessage {}

  /** Drain this node, as POST /admin/drain does on it. */
  public record Drain(ActorRef<NodeDrain.Drained> replyTo) implements Command, OpsMessage {}

  private enum Tick implements Command { INSTANCE }

  /**
   * @param interval chorus.admin.sample-interval
   * @param keep how many samples: chorus.admin.sample-history / interval
   * @param drainWindow chorus.drain.window, which a drain's answer states
   */
  public record Settings(Duration interval, int keep, Duration drainWindow) {}

  public static Behavior<Command> create(Connections connections, Metrics metrics, Settings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
      timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.interval());
      return new NodeStatus(ctx, connections, metrics, settings).behavior();
    }));
  }

  private final ActorContext<Command> ctx;
  private final Connections connections;
  private final Metrics metrics;
  private final Settings settings;
  private final String node;
  private final JvmReadings jvm = new JvmReadings();
  private final long startedNanos = System.nanoTime();
  private final BoundedRing<Sample> samples;
  private NodeSnapshot last;

  private NodeStatus(ActorContext<Command> ctx, Connections connections, Metrics metrics, Settings settings) {
    this.ctx = ctx;
    this.connections = connections;
    this.metrics = metrics;
    this.settings = settings;
    this.node = ctx.getSystem().address().toString();
    this.samples = new BoundedRing<>(settings.keep());
    this.last = snapshot();
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessage(GetStats.class, m -> reply(m.replyTo(), new Stats(node, stats())))
        .onMessage(GetSamples.class, m -> reply(m.replyTo(), new Samples(node, samples.oldestFirst())))
        .onMessage(GetLatest.class, m -> reply(m.replyTo(), new Latest(node, samples.latest())))
        .onMessage(Drain.class, this::onDrain)
        .build();
  }

  private <T> Behavior<Command> reply(ActorRef<T> to, T answer) {
    to.tell(answer);
    return Behaviors.same();
  }

  private Behavior<Command> onTick() {
    NodeSnapshot now = snapshot();
    samples.add(now.sampleSince(last));
    last = now;
    return Behaviors.same();
  }

  private Behavior<Command> onDrain(Drain m) {
    ctx.getLog().info("Drain of this node requested through the admin API (POST /admin/nodes/drain)");
    m.replyTo().tell(NodeDrain.start(ctx.getSystem(), connections, settings.drainWindow()));
    return Behaviors.same();
  }

  private NodeStats stats() {
    Sample latest = samples.latest();
    return new NodeStats(
        VERSION,
        NodeSnapshot.round((System.nanoTime() - startedNanos) / 1e9),
        connections.count(),
        metrics.longPollSessions(),
        metrics.rooms(),
        metrics.roomEntities.get(),
        connections.draining(),
        jvm.heapUsedBytes(),
        jvm.heapMaxBytes(),
        metrics.heapAfterGcBytes(), // as chorus_heap_after_gc_bytes has it, so the dashboard and Grafana agree
        jvm.gcCount(),
        jvm.gcSeconds(),
        latest == null ? 0.0 : latest.cpuCoresUsed(),
        jvm.cpus());
  }

  private NodeSnapshot snapshot() {
    return new NodeSnapshot(
        System.currentTimeMillis(),
        System.nanoTime(),
        connections.count(),
        metrics.joins.sum(),
        metrics.publishes.sum(),
        metrics.deliveries.sum(),
        metrics.slowConsumerCloses.sum(),
        metrics.crossNodeDeliveries.sum(),
        metrics.refusedByReason(),
        fanoutBuckets(metrics),
        jvm.heapUsedBytes(),
        jvm.processCpuNanos());
  }

  /** chorus_fanout_latency_seconds's classic buckets now. */
  static BucketQuantile.Buckets fanoutBuckets(Metrics metrics) {
    List<HistogramSnapshot.HistogramDataPointSnapshot> points = metrics.fanoutLatency.collect().getDataPoints();
    if (points.isEmpty()) return BucketQuantile.Buckets.EMPTY;
    ClassicHistogramBuckets buckets = points.get(0).getClassicBuckets();
    double[] bounds = new double[buckets.size()];
    long[] counts = new long[buckets.size()];
    for (int i = 0; i < bounds.length; i++) {
      bounds[i] = buckets.getUpperBound(i);
      counts[i] = buckets.getCount(i);
    }
    return new BucketQuantile.Buckets(bounds, counts);
  }

  private static String readVersion() {
    try (InputStream in = NodeStatus.class.getResourceAsStream("version.properties")) {
      if (in == null) return "unknown";
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
