package dev.chorus.session;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The node's sessions by user id, so that the API for backends can reach every connection of a
 * user (server-side subscriptions: ops/UserSubscriptions). A session adds itself when it starts
 * and removes itself when it stops. A user has few connections (chorus.connection.max-per-user),
 * so each user holds a small immutable list, replaced on change: one map entry per connected
 * user, nothing per message.
 */
public final class UserSessions {
  private final ConcurrentHashMap<String, List<ActorRef<Session.Command>>> byUser = new ConcurrentHashMap<>();

  void add(String user, ActorRef<Session.Command> session) {
    byUser.compute(user, (u, list) -> {
      List<ActorRef<Session.Command>> more = list == null ? new ArrayList<>(1) : new ArrayList<>(list);
      more.add(session);
      return List.copyOf(more);
    });
  }

  void remove(String user, ActorRef<Session.Command> session) {
    byUser.computeIfPresent(user, (u, list) -> {
      List<ActorRef<Session.Command>> fewer = new ArrayList<>(list);
      fewer.remove(session);
      return fewer.isEmpty() ? null : List.copyOf(fewer);
    });
  }

  /** The sessions of {@code user} on this node now (none: empty). */
  public List<ActorRef<Session.Command>> of(String user) {
    return byUser.getOrDefault(user, List.of());
  }
}
