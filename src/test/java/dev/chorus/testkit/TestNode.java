package dev.chorus.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.chorus.ChorusNode;
import dev.chorus.Settings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/** Starts real Chorus nodes inside the test JVM, on free ports. */
public final class TestNode {
  private TestNode() {}

  /**
   * A node on free ports, with the test crash hook on, and {@code overrides} (HOCON) on top.
   * Presence is off in the {@code room} namespace here, so that tests of other behaviour see
   * exact frame sequences; presence tests turn it on. Returns once the node is Up in its own
   * one-node cluster: it joins itself a few actor steps after it serves, and what reads the
   * membership (readiness, /cluster/members, the admin API) would otherwise race a test's first call.
   */
  public static ChorusNode start(String overrides) throws Exception {
    Config base = Settings.load(List.of("--port", "0", "--cluster-port", "0", "--management-port", "0"), Map.of());
    Config config = ConfigFactory.parseString(overrides)
        .withFallback(ConfigFactory.parseString("chorus.testing.crash-event = \"__crash__\"\nchorus.namespaces.room.presence = off"))
        .withFallback(base)
        .resolve();
    ChorusNode node = ChorusNode.start(config);
    try {
      Cluster cluster = Cluster.get(node.system());
      await("the node Up in its own cluster", Duration.ofSeconds(15),
          () -> cluster.selfMember().status() == MemberStatus.up());
    } catch (Throwable e) {
      node.close();
      throw e;
    }
    return node;
  }

  public static ChorusNode start() throws Exception {
    return start("");
  }

  /** Polls {@code condition} until it holds or the deadline passes; fails with {@code what}. */
  public static void await(String what, Duration deadline, BooleanSupplier condition) throws InterruptedException {
    await(what, deadline, Duration.ofMillis(20), condition, () -> "");
  }

  /**
   * Polls {@code condition} every {@code poll} until it holds or the deadline passes; fails with
   * {@code what} and the {@code detail} of that moment (a log's tail, say).
   */
  public static void await(String what, Duration deadline, Duration poll, BooleanSupplier condition, Supplier<String> detail)
      throws InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        String more = detail.get();
        throw new AssertionError("timed out after " + deadline + " waiting for: " + what + (more.isEmpty() ? "" : "\n" + more));
      }
      Thread.sleep(poll.toMillis()); // the poll interval of this await
    }
  }
}
