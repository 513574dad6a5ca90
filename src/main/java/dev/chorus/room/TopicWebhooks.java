package dev.chorus.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.webhooks.LeaveDebounce;
import dev.chorus.webhooks.Occupancy;
import dev.chorus.webhooks.WebhookEvent;
import dev.chorus.webhooks.WebhookEvents;
import dev.chorus.webhooks.WebhookSender;
import java.io.IOException;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;

/**
 * A topic's webhook events, decided by its {@link RoomEntity} (one per cluster, so exactly one
 * node sends each) from what the local rooms tell it, and handed to the node's sender. Not an
 * actor: the entity calls it from its own thread, and runs {@link #tick} on a timer while
 * leaves wait out chorus.webhooks.user-left-delay.
 *
 * <p>A restarted entity (its node died, or it moved) rebuilds its counts from the local rooms'
 * answers while it locates them ({@code silent}): those members were announced by its
 * predecessor, so it announces nothing for them. What changed while no entity ran is not
 * announced either (a member that left meanwhile is missing from the answers, not gone from
 * them); see docs/hooks.md, "Failover".
 */
final class TopicWebhooks {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String topic;
  private final WebhookEvents events;
  private final WebhookSender sender;
  private final Occupancy<ActorRef<LocalRoom.Command>> occupancy;
  private final LeaveDebounce debounce;

  private TopicWebhooks(String topic, WebhookEvents events, WebhookSender sender, int maxMembers, long userLeftDelayMs) {
    this.topic = topic;
    this.events = events;
    this.sender = sender;
    this.occupancy = new Occupancy<>(maxMembers);
    this.debounce = new LeaveDebounce(userLeftDelayMs, maxMembers);
  }

  /** The topic's webhooks; null when its namespace sends none (or webhooks are off). */
  static TopicWebhooks of(String topic, Namespace namespace, NodeRooms node) {
    if (namespace == null || node.webhooks == null) return null;
    WebhookEvents events = namespace.webhooks();
    if (!events.members() && events.clientEvents().isEmpty()) return null;
    return new TopicWebhooks(topic, events, node.webhooks, namespace.maxMembers(), node.userLeftDelayMs);
  }

  void joined(ActorRef<LocalRoom.Command> room, String user) {
    send(occupancy.joined(room, user), now());
  }

  void left(ActorRef<LocalRoom.Command> room, String user) {
    send(occupancy.left(room, user), now());
  }

  /** A room states its members (a registration, an answer to locating); {@code silent} while the entity locates. */
  void restate(ActorRef<LocalRoom.Command> room, int members, Map<String, Integer> users, boolean silent) {
    Occupancy.Changes changes = occupancy.restate(room, members, users);
    if (!silent) send(changes, now());
  }

  /** A push was sequenced as {@code seq}: a client_event when the namespace lists its event. */
  void published(String user, String event, ByteString payload, long seq) {
    if (user == null || !events.clientEvent(event)) return;
    JsonNode json;
    try {
      json = JSON.readTree(payload.toArray());
    } catch (IOException e) {
      return; // pushes are JSON (the codec checked it); nothing to send otherwise
    }
    sender.offer(WebhookEvent.client(topic, user, event, json, seq));
  }

  /** Sends the leaves that are due; returns milliseconds until the next one, -1 when none waits. */
  long tick() {
    long now = now();
    for (String user : debounce.due(now)) userEvent(WebhookEvents.USER_LEFT, user);
    return debounce.untilNext(now);
  }

  /** The entity stops: waiting leaves go now. */
  void stopped() {
    for (String user : debounce.drain()) userEvent(WebhookEvents.USER_LEFT, user);
  }

  private void send(Occupancy.Changes c, long now) {
    if (c.isEmpty()) return;
    if (c.occupied()) topicEvent(WebhookEvents.TOPIC_OCCUPIED);
    for (String user : c.arrived()) {
      if (debounce.arrived(user)) userEvent(WebhookEvents.USER_JOINED, user);
    }
    for (String user : c.gone()) {
      for (String due : debounce.gone(user, now)) userEvent(WebhookEvents.USER_LEFT, due);
    }
    if (c.vacated()) {
      // The last member left: the users' leaves go first, so the backend hears them in order.
      for (String user : debounce.drain()) userEvent(WebhookEvents.USER_LEFT, user);
      topicEvent(WebhookEvents.TOPIC_VACATED);
    }
  }

  private void topicEvent(String name) {
    if (events.on(name)) sender.offer(WebhookEvent.topic(name, topic));
  }

  private void userEvent(String name, String user) {
    if (events.on(name)) sender.offer(WebhookEvent.user(name, topic, user));
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }

  /** A local room stopped, or its node is gone: its members are. */
  void roomGone(ActorRef<LocalRoom.Command> room) {
    send(occupancy.gone(room), now());
  }

  /** For the entity's timer: whether leaves wait. */
  boolean waiting() {
    return debounce.waiting() > 0;
  }
}
