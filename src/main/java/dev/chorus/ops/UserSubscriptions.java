package dev.chorus.ops;

import dev.chorus.session.Session;
import dev.chorus.session.UserSessions;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * One per node, registered with the receptionist: subscribes a user's connections on this node
 * to a topic, or ends that, when the API for backends asks (POST /api/subscribe and
 * /api/unsubscribe ask every node, as POST /api/disconnect does through {@link UserConnections}).
 * Each of the user's sessions joins (or leaves) the topic itself ({@link Session.ServerJoin}); this
 * answers how many connections it told, at once, not after the rooms admitted them.
 */
public final class UserSubscriptions {
  public static final ServiceKey<Change> SERVICE_KEY = ServiceKey.create(Change.class, "chorus-user-subscriptions");

  /** Subscribe ({@code subscribe}) or unsubscribe every connection of {@code user} here to {@code topic}. */
  public record Change(String user, String topic, boolean subscribe, ActorRef<Changed> replyTo) implements OpsMessage {}

  /** How many connections of the user this node told. */
  public record Changed(String node, int connections) implements OpsMessage {}

  public static Behavior<Change> create(UserSessions sessions) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
      String node = ctx.getSystem().address().toString();
      return Behaviors.receiveMessage(m -> {
        List<ActorRef<Session.Command>> of = sessions.of(m.user());
        for (ActorRef<Session.Command> s : of) {
          s.tell(m.subscribe() ? new Session.ServerJoin(m.topic()) : new Session.ServerLeave(m.topic()));
        }
        m.replyTo().tell(new Changed(node, of.size()));
        return Behaviors.same();
      });
    });
  }
}
