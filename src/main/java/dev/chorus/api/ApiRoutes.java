package dev.chorus.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import dev.chorus.ops.BearerAuth;
import dev.chorus.ops.Operations;
import dev.chorus.presence.PresenceEntry;
import dev.chorus.presence.PresenceFrames;
import dev.chorus.presence.PresenceReplica;
import dev.chorus.protocol.Topic;
import dev.chorus.room.Namespace;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * The API for backends, on the management port, guarded by the bearer key
 * {@code chorus.api.key}:
 * <ul>
 *   <li>{@code GET /api/presence/{topic}}: who is present, as phoenix.js's {@code presence_state}
 *       under {@code "presence"}, with the counts; {@code ?count=true}: the counts alone.
 * </ul>
 */
public final class ApiRoutes implements ManagementRouteProvider {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ActorSystem<Void> system;
  private final Operations operations;
  private final BearerAuth auth;
  private final Duration askTimeout;

  public ApiRoutes(ExtendedActorSystem classic) {
    this.system = Adapter.toTyped(classic);
    this.operations = Operations.get(classic);
    Config chorus = classic.settings().config().getConfig("chorus");
    this.auth = new BearerAuth(chorus.getString("api.key"), "API disabled: set chorus.api.key (--api-key, CHORUS_API_KEY)");
    this.askTimeout = chorus.getDuration("admin.ask-timeout");
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return pathPrefix("api", () -> auth.authorized(() ->
        path(segment("presence").slash(segment()), topic -> get(() -> parameterOptional("count", count -> presence(topic, count.map(Boolean::parseBoolean).orElse(false)))))));
  }

  private Route presence(String topicName, boolean countOnly) {
    Operations.Node node = operations.node();
    if (node == null) return BearerAuth.json(StatusCodes.SERVICE_UNAVAILABLE, BearerAuth.error("the node is not serving yet"));
    Topic topic = Topic.parse(topicName);
    if (topic == null) return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("invalid topic"));
    Namespace namespace = node.namespaces().get(topic.namespace());
    if (namespace == null) return BearerAuth.json(StatusCodes.NOT_FOUND, BearerAuth.error("unknown namespace"));
    if (!namespace.presence()) {
      return BearerAuth.json(StatusCodes.NOT_FOUND, BearerAuth.error("presence is off in namespace " + namespace.name()));
    }
    var answer = AskPattern.<PresenceReplica.Command, List<PresenceEntry>>ask(
        node.presence(), r -> new PresenceReplica.Get(topicName, r), askTimeout, system.scheduler());
    return onSuccess(answer, entries -> {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("topic", topicName);
      body.put("users", PresenceFrames.users(entries));
      body.put("connections", entries.size());
      if (!countOnly) body.put("presence", readTree(PresenceFrames.state(entries).utf8String()));
      return BearerAuth.json(StatusCodes.OK, body);
    });
  }

  private static ObjectNode readTree(String json) {
    try {
      return (ObjectNode) JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("presence state is always JSON", e);
    }
  }
}
