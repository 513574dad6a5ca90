package dev.chorus.ops;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Asks a service that every node registers with the receptionist (LocalRooms, UserConnections,
 * UserSubscriptions) one question on every node, for the cluster-wide answers of the admin API
 * and the API for backends. The receptionist's listing is eventually consistent, so this node's
 * own instance is asked in any case. Each node's answer is empty when it did not come within
 * {@code timeout}: the caller counts it as not answered rather than failing the whole request.
 */
public final class EveryNode {
  private EveryNode() {}

  public static <C, A> CompletionStage<List<Optional<A>>> ask(
      ActorSystem<?> system, ServiceKey<C> key, ActorRef<C> self, Function<ActorRef<A>, C> question, Duration timeout) {
    CompletionStage<Receptionist.Listing> listing =
        AskPattern.ask(system.receptionist(), r -> Receptionist.find(key, r), timeout, system.scheduler());
    return listing.thenCompose(l -> {
      Set<ActorRef<C>> nodes = new LinkedHashSet<>(l.getServiceInstances(key));
      if (self != null) nodes.add(self);
      List<CompletableFuture<Optional<A>>> answers = new ArrayList<>();
      for (ActorRef<C> node : nodes) {
        answers.add(AskPattern.<C, A>ask(node, question::apply, timeout, system.scheduler())
            .toCompletableFuture()
            .thenApply(Optional::of)
            .exceptionally(e -> Optional.empty()));
      }
      return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
          .thenApply(v -> answers.stream().map(CompletableFuture::join).toList());
    });
  }
}
