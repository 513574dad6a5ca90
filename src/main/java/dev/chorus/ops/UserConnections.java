package dev.chorus.ops;

import dev.chorus.transport.CloseReason;
import dev.chorus.transport.Connections;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * One per node, registered with the receptionist: closes a user's connections on this node
 * when the API for backends asks (POST /api/disconnect asks every node).
 */
public final class UserConnections {
  public static final ServiceKey<Disconnect> SERVICE_KEY = ServiceKey.create(Disconnect.class, "chorus-user-connections");

  /** Close every connection of {@code user} here (code 4005); answers how many. */
  public record Disconnect(String user, ActorRef<Disconnected> replyTo) implements OpsMessage {}

  public record Disconnected(String node, int closed) implements OpsMessage {}

  public static Behavior<Disconnect> create(Connections connections) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
      String node = ctx.getSystem().address().toString();
      return Behaviors.receiveMessage(m -> {
        m.replyTo().tell(new Disconnected(node, connections.closeUser(m.user(), CloseReason.DISCONNECTED)));
        return Behaviors.same();
      });
    });
  }
}
