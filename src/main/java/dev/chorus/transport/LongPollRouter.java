package dev.chorus.transport;

import dev.chorus.metrics.Metrics;
import dev.chorus.placement.ServingMembers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Carries LongPoll requests to the node that holds their session, so that a load balancer need
 * not be sticky. One actor per node, registered with the receptionist: it answers requests
 * forwarded to it from its own sessions, and keeps the other nodes' routers as the receptionist
 * lists them. A node that receives a request naming another node's session ({@link #forward})
 * sends it there if that node is a current cluster member (Up, WeaklyUp or Leaving) and
 * listed, and relays its answer; otherwise the session is gone (410: phoenix.js reconnects and
 * rejoins). Forwarded requests are bounded in number ({@code max-forwards-in-flight}, else 503)
 * and in time ({@code forward-timeout}, else 504: the client reconnects).
 */
public final class LongPollRouter {
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "chorus-longpoll");

  public sealed interface Command {}

  /** A poll (GET) or a POST's frames for a session of this node. */
  public record Request(boolean poll, String token, List<PostedFrame> frames) implements LongPollMessage {}

  /** {@code request} forwarded from another node, which waits for the answer. */
  public record Forward(Request request, ActorRef<PollAnswer> replyTo) implements Command, LongPollMessage {}

  private record Listed(Receptionist.Listing listing) implements Command {}

  private final ActorSystem<?> system;
  private final LongPollSettings settings;
  private final Map<String, ActorRef<Command>> routers = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Metrics metrics;

  private LongPollRouter(ActorSystem<?> system, LongPollSettings settings, Metrics metrics) {
    this.system = system;
    this.settings = settings;
    this.metrics = metrics;
  }

  /** Starts this node's router (serving {@code sessions}) and returns the means to forward to the others'. */
  public static LongPollRouter start(ActorSystem<?> system, LongPollSessions sessions) {
    LongPollRouter router = new LongPollRouter(system, sessions.settings(), sessions.admission().metrics());
    system.systemActorOf(router.behavior(sessions), "longpoll", Props.empty());
    return router;
  }

  private Behavior<Command> behavior(LongPollSessions sessions) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class, Listed::new);
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(KEY, listings));
      return Behaviors.receive(Command.class)
          .onMessage(Forward.class, f -> {
            Request r = f.request();
            CompletableFuture<PollAnswer> answer = r.poll() ? sessions.poll(r.token()) : sessions.post(r.token(), r.frames());
            answer.whenComplete((a, e) -> f.replyTo().tell(a != null ? a : PollAnswer.refused(500, "internal error")));
            return Behaviors.same();
          })
          .onMessage(Listed.class, l -> {
            Map<String, ActorRef<Command>> now = new ConcurrentHashMap<>();
            for (ActorRef<Command> ref : l.listing().getServiceInstances(KEY)) {
              now.put(ref.path().address().hasGlobalScope() ? ref.path().address().toString() : sessions.node(), ref);
            }
            routers.keySet().retainAll(now.keySet());
            routers.putAll(now);
            return Behaviors.same();
          })
          .build();
    });
  }

  /** {@code request} for a session of {@code node} (another node), answered by that node or 410/503/504. */
  CompletionStage<PollAnswer> forward(String node, Request request) {
    ActorRef<Command> router = routers.get(node);
    if (router == null || !isMember(node)) {
      metrics.longPollRefused("node_gone");
      return CompletableFuture.completedFuture(PollAnswer.gone());
    }
    if (inFlight.incrementAndGet() > settings.maxForwardsInFlight()) {
      inFlight.decrementAndGet();
      metrics.longPollRefused("forwards_full");
      return CompletableFuture.completedFuture(PollAnswer.refused(503, FORWARDS_FULL));
    }
    Duration timeout = settings.forwardTimeout();
    return AskPattern.<Command, PollAnswer>ask(router, replyTo -> new Forward(request, replyTo), timeout, system.scheduler())
        .handle((answer, error) -> {
          inFlight.decrementAndGet();
          if (answer != null) return answer;
          metrics.longPollRefused("forward_timeout");
          return PollAnswer.refused(504, "the node holding this session did not answer in time");
        });
  }

  static final String FORWARDS_FULL = "too many LongPoll requests forwarded to other nodes: retry later";

  private boolean isMember(String node) {
    for (var m : Cluster.get(system).state().getMembers()) {
      if (m.address().toString().equals(node)) {
        return ServingMembers.serves(m.status());
      }
    }
    return false;
  }
}
