package dev.chorus.ops;

import dev.chorus.placement.ServingMembers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Asks a service that every node registers with the receptionist (LocalRooms, UserConnections,
 * UserSubscriptions, NodeStatus, UserLookup) one question on every node, for the cluster-wide
 * answers of the admin API and the API for backends. The receptionist's listing is eventually
 * consistent, so this node's own instance is asked in any case. Each node's answer is empty
 * when it did not come within {@code timeout}: the caller counts it as not answered rather
 * than failing the whole request. A member that serves (Up, WeaklyUp, Leaving) but that the
 * listing does not show yet (it joined a moment ago, or this node did) is answered empty too:
 * the caller's "asked" counts it, so a backend sees that not every node took its request.
 */
public final class EveryNode {
  private EveryNode() {}

  /** One node's answer: its address (as {@code Address.toString()}), and the answer if it came in time. */
  public record Answer<A>(String node, Optional<A> answer) {}

  public static <C, A> CompletionStage<List<Optional<A>>> ask(
      ActorSystem<?> system, ServiceKey<C> key, ActorRef<C> self, Function<ActorRef<A>, C> question, Duration timeout) {
    return askEach(system, key, self, question, timeout).thenApply(answers -> answers.stream().map(Answer::answer).toList());
  }

  /** As {@link #ask}, each answer with the node it is from, in the listing's order. */
  public static <C, A> CompletionStage<List<Answer<A>>> askEach(
      ActorSystem<?> system, ServiceKey<C> key, ActorRef<C> self, Function<ActorRef<A>, C> question, Duration timeout) {
    return find(system, key, self, timeout).thenCompose(nodes -> {
      List<String> names = new ArrayList<>();
      List<CompletableFuture<Optional<A>>> answers = new ArrayList<>();
      nodes.forEach((name, node) -> {
        names.add(name);
        answers.add(AskPattern.<C, A>ask(node, question::apply, timeout, system.scheduler())
            .toCompletableFuture()
            .thenApply(Optional::of)
            .exceptionally(e -> Optional.empty()));
      });
      List<String> unlisted = serving(system).stream().filter(member -> !nodes.containsKey(member)).toList();
      return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(v -> {
        List<Answer<A>> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) out.add(new Answer<>(names.get(i), answers.get(i).join()));
        for (String member : unlisted) out.add(new Answer<>(member, Optional.empty()));
        return out;
      });
    });
  }

  /** The service's instance on each node the receptionist lists, and this node's, by node address. */
  public static <C> CompletionStage<Map<String, ActorRef<C>>> find(
      ActorSystem<?> system, ServiceKey<C> key, ActorRef<C> self, Duration timeout) {
    CompletionStage<Receptionist.Listing> listing =
        AskPattern.ask(system.receptionist(), r -> Receptionist.find(key, r), timeout, system.scheduler());
    return listing.thenApply(l -> {
      Map<String, ActorRef<C>> nodes = new LinkedHashMap<>();
      for (ActorRef<C> node : l.getServiceInstances(key)) nodes.put(nodeOf(system, node), node);
      if (self != null) nodes.put(system.address().toString(), self);
      return nodes;
    });
  }

  /** The addresses of the members that serve clients ({@link ServingMembers}). */
  static List<String> serving(ActorSystem<?> system) {
    return ServingMembers.of(system).stream().map(Address::toString).toList();
  }

  /** {@link ServingMembers#nodeOf} as text, the form the answers carry. */
  static String nodeOf(ActorSystem<?> system, ActorRef<?> ref) {
    return ServingMembers.nodeOf(system, ref).toString();
  }
}
