package dev.chorus.ops;

import dev.chorus.session.Session;
import dev.chorus.session.UserSessions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * One per node, registered with the receptionist: the admin API's user lookup
 * (GET /admin/users/{user}) asks every node for the user's connections there. It asks each of
 * the user's sessions ({@link UserSessions}, at most chorus.connection.max-per-user of them)
 * what it is ({@link Session.Describe}); a session that does not answer within {@code timeout}
 * (it is stopping, or its node is overloaded) is left out, so the node still answers in time.
 */
public final class UserLookup {
  public static final ServiceKey<Find> SERVICE_KEY = ServiceKey.create(Find.class, "chorus-user-lookup");

  public record Find(String user, ActorRef<Found> replyTo) implements OpsMessage {}

  /** The user's connections on {@code node}, oldest first (none: an empty list). */
  public record Found(String node, List<Connection> connections) implements OpsMessage {}

  public record Connection(String connId, String transport, List<String> topics, double connectedSeconds) {}

  public static Behavior<Find> create(UserSessions sessions, Duration timeout) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
      String node = ctx.getSystem().address().toString();
      return Behaviors.receiveMessage(m -> {
        // The answers are gathered off the actor: it holds no state, and the reply may be told from any thread.
        List<CompletableFuture<Optional<Session.Description>>> asked = new ArrayList<>();
        for (ActorRef<Session.Command> session : sessions.of(m.user())) {
          CompletionStage<Session.Description> answer =
              AskPattern.ask(session, Session.Describe::new, timeout, ctx.getSystem().scheduler());
          asked.add(answer.toCompletableFuture().thenApply(Optional::of).exceptionally(e -> Optional.empty()));
        }
        CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenRun(() -> m.replyTo().tell(new Found(node,
            asked.stream()
                .map(CompletableFuture::join)
                .flatMap(Optional::stream)
                .sorted(Comparator.comparingDouble(Session.Description::connectedSeconds).reversed())
                .map(d -> new Connection(d.connId(), d.transport(), d.topics(), d.connectedSeconds()))
                .toList())));
        return Behaviors.same();
      });
    });
  }
}
