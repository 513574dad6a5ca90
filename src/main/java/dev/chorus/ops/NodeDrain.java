package dev.chorus.ops;

import dev.chorus.transport.Connections;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * An operator's drain of this node, the one piece of code behind POST /admin/drain (this node)
 * and POST /admin/nodes/drain (any node, whose {@link NodeStatus} runs it): new connections are
 * refused at once (readiness turns false now, not when the phase starts), then CoordinatedShutdown
 * runs with {@link AdminRoutes#DRAIN_REQUESTED}, whose first phase drains the WebSockets
 * gradually over chorus.drain.window ({@link Drainer}), then leaves the cluster and exits.
 * Asking again while the node drains changes nothing and answers the same.
 */
public final class NodeDrain {
  private NodeDrain() {}

  /** What a drain request answers: the node, and how many connections it had open then. */
  public record Drained(String node, int connections, String window) implements OpsMessage {
    /** The JSON the admin API sends. */
    public Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("node", node);
      m.put("draining", true);
      m.put("connections", connections);
      m.put("window", window);
      m.put("then", "leave the cluster and exit");
      return m;
    }
  }

  public static Drained start(ActorSystem<?> system, Connections connections, Duration window) {
    int open = connections.count();
    boolean already = connections.draining();
    connections.stopAccepting();
    if (!already) CoordinatedShutdown.get(Adapter.toClassic(system)).run(AdminRoutes.DRAIN_REQUESTED);
    return new Drained(system.address().toString(), open, window.toMillis() / 1000.0 + "s");
  }
}
