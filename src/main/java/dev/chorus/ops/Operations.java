package dev.chorus.ops;

import dev.chorus.presence.PresenceReplica;
import dev.chorus.room.LocalRooms;
import dev.chorus.room.Namespaces;
import dev.chorus.transport.Connections;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What the management port's routes and checks need from a running node (a Pekko extension,
 * because Pekko Management builds them by reflection from the actor system alone). The node
 * fills it in once it serves WebSockets; until then the node is not ready.
 */
public final class Operations implements Extension {

  /** The parts of a serving node. */
  public record Node(
      Connections connections,
      ActorRef<LocalRooms.Command> localRooms,
      ActorRef<Drainer.Command> drainer,
      ActorRef<PresenceReplica.Command> presence,
      Namespaces namespaces,
      ActorRef<UserConnections.Disconnect> userConnections,
      ActorRef<UserSubscriptions.Change> userSubscriptions,
      ActorRef<NodeStatus.Command> status,
      ActorRef<UserLookup.Find> userLookup,
      StreamSlots streams) {}

  private volatile Node node;

  /** Called by the node once its WebSocket listener is bound. */
  public void serving(Node node) {
    this.node = node;
  }

  /** The serving node's parts, or null before it serves. */
  public Node node() {
    return node;
  }

  /** Serving WebSockets and not draining. */
  public boolean ready() {
    Node n = node;
    return n != null && !n.connections().draining();
  }

  public static Operations get(ActorSystem system) {
    return Id.INSTANCE.get(system);
  }

  static final class Id extends AbstractExtensionId<Operations> implements ExtensionIdProvider {
    static final Id INSTANCE = new Id();

    @Override
    public Operations createExtension(ExtendedActorSystem system) {
      return new Operations();
    }

    @Override
    public Id lookup() {
      return INSTANCE;
    }
  }
}
