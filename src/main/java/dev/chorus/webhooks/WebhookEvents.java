package dev.chorus.webhooks;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Set;

/**
 * Which webhook events a namespace sends ({@code chorus.namespace-defaults.webhooks}): {@code
 * events} of topic_occupied, topic_vacated, user_joined, user_left; and the pushed events that
 * become client_event. Empty when webhooks are off ({@code chorus.webhooks.url} empty).
 */
public record WebhookEvents(Set<String> events, Set<String> clientEvents) {
  public static final String TOPIC_OCCUPIED = "topic_occupied";
  public static final String TOPIC_VACATED = "topic_vacated";
  public static final String USER_JOINED = "user_joined";
  public static final String USER_LEFT = "user_left";
  public static final String CLIENT_EVENT = "client_event";
  private static final Set<String> KNOWN = Set.of(TOPIC_OCCUPIED, TOPIC_VACATED, USER_JOINED, USER_LEFT);

  public static final WebhookEvents NONE = new WebhookEvents(Set.of(), Set.of());

  /** From a namespace's {@code webhooks} section; NONE when {@code enabled} is false. */
  public static WebhookEvents fromConfig(Config webhooks, boolean enabled) {
    List<String> events = webhooks.getStringList("events");
    for (String e : events) {
      if (!KNOWN.contains(e)) throw new IllegalArgumentException("webhooks.events: unknown event '" + e + "', known: " + KNOWN);
    }
    if (!enabled) return NONE;
    return new WebhookEvents(Set.copyOf(events), Set.copyOf(webhooks.getStringList("client-events")));
  }

  public boolean on(String event) {
    return events.contains(event);
  }

  /** Whether anything about members is sent: the room entity then counts users. */
  public boolean members() {
    return !events.isEmpty();
  }

  /** Whether the entity needs each member's user (user_joined or user_left on). */
  public boolean users() {
    return on(USER_JOINED) || on(USER_LEFT);
  }

  public boolean clientEvent(String event) {
    return clientEvents.contains(event);
  }
}
