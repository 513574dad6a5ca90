package dev.chorus.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.metrics.Metrics;
import dev.chorus.ops.BearerAuth;
import dev.chorus.ops.EveryNode;
import dev.chorus.ops.Operations;
import dev.chorus.ops.RequestBody;
import dev.chorus.ops.UserConnections;
import dev.chorus.ops.UserSubscriptions;
import dev.chorus.presence.PresenceEntry;
import dev.chorus.presence.PresenceFrames;
import dev.chorus.presence.PresenceReplica;
import dev.chorus.protocol.BinaryCodec;
import dev.chorus.protocol.Events;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.protocol.ProtocolException;
import dev.chorus.protocol.Topic;
import dev.chorus.room.LocalRooms;
import dev.chorus.room.Namespace;
import dev.chorus.room.RoomEntity;
import dev.chorus.transport.WebSocketFrames;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.util.ByteString;
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
 *   <li>{@code GET /api/presence/{topic}/stats}: {@code {"users": n, "connections": m}}, nothing else.
 *   <li>{@code POST /api/publish} {@code {"topic" | "topics": [...], "event", "payload"}}: the
 *       same sequencing, delivery and history as a client's push, also in namespaces where
 *       clients may not publish; answers each topic's position. {@code "binary": "<base64>"}
 *       instead of {@code "payload"} publishes those bytes as a binary message; so does a body
 *       of {@code Content-Type: application/octet-stream} with {@code ?topic=...&event=...}.
 *   <li>{@code GET /api/history/{topic}?since=seq}: the kept messages after {@code since}; a
 *       binary one with {@code "binary": "<base64>"} instead of {@code "payload"}.
 *   <li>{@code POST /api/disconnect} {@code {"user": "..."}}: closes the user's connections on
 *       every node (4005).
 *   <li>{@code GET /api/topics?namespace=&limit=&after=}: the topics with members cluster-wide,
 *       in name order, a page at a time, each with its members and the nodes they are on.
 *   <li>{@code POST /api/subscribe} / {@code /api/unsubscribe} {@code {"user", "topic"}}: every
 *       connection of the user, on every node, joins the topic as the backend's (server-side
 *       subscription), or leaves that join; answers how many connections on how many nodes.
 * </ul>
 * Errors are JSON {@code {"error": "..."}} with 400 (bad request, also a body nested deeper than
 * client frames may be, {@link FrameCodec#MAX_DEPTH}), 401/403 (key), 404 (unknown namespace),
 * 413 (a body over {@code chorus.api.max-body-bytes}, refused while it is read; a payload over
 * the namespace's max-message-bytes).
 */
public final class ApiRoutes implements ManagementRouteProvider {
  /** Reads what Chorus itself rendered (history frames, presence state). */
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Reads request bodies: no deeper than a client's frames may be. */
  private static final ObjectMapper BODY = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(FrameCodec.MAX_DEPTH).build())
      .build());
  static final String TOO_DEEP = "body nested deeper than " + FrameCodec.MAX_DEPTH + " levels";
  private final ActorSystem<Void> system;
  private final Operations operations;
  private final BearerAuth auth;
  private final Duration askTimeout;
  private final ClusterSharding sharding;
  private final int maxTopicsPerPublish;
  private final int maxBodyBytes;
  private final int maxTopicsPerPage;
  private final Metrics metrics;

  public ApiRoutes(ExtendedActorSystem classic) {
    this.system = Adapter.toTyped(classic);
    this.operations = Operations.get(classic);
    this.metrics = Metrics.get(classic);
    ApiSettings api = ApiSettings.fromConfig(classic.settings().config().getConfig("chorus"));
    this.auth = new BearerAuth(api.key(), "API disabled: set chorus.api.key (--api-key, CHORUS_API_KEY)", metrics);
    this.maxBodyBytes = api.maxBodyBytes();
    this.maxTopicsPerPage = api.maxTopicsPerPage();
    this.askTimeout = api.askTimeout();
    this.sharding = ClusterSharding.get(system);
    this.maxTopicsPerPublish = api.maxTopicsPerPublish();
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return pathPrefix("api", () -> auth.authorized(() -> BearerAuth.serving(operations, node -> concat(
        path(segment("presence").slash(segment()).slash("stats"), topic -> get(() -> presence(node, topic, entries -> {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("users", PresenceFrames.users(entries));
          body.put("connections", entries.size());
          return body;
        }))),
        path(segment("presence").slash(segment()), topic -> get(() ->
            parameterOptional("count", count -> presence(node, topic, count.map(Boolean::parseBoolean).orElse(false))))),
        path("publish", () -> post(() -> extractRequestEntity(entity ->
            entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_OCTET_STREAM)
                ? parameterOptional("topic", topic -> parameterOptional("event", event ->
                    bytes(body -> publishRaw(node, topic.orElse(""), event.orElse(""), body))))
                : body(body -> publish(node, body))))),
        path("disconnect", () -> post(() -> body(body -> disconnect(node, body)))),
        path("subscribe", () -> post(() -> body(body -> subscription(node, body, true)))),
        path("topics", () -> get(() -> parameterOptional("namespace", namespace -> parameterOptional("limit", limit ->
            parameterOptional("after", after -> topics(node, namespace.orElse(""), limit, after.orElse(""))))))),
        path("unsubscribe", () -> post(() -> body(body -> subscription(node, body, false)))),
        path(segment("history").slash(segment()), topic -> get(() ->
            parameterOptional("since", since -> history(node, topic, since.orElse("0")))))))));
  }

  /**
   * The request body as text, read up to {@code chorus.api.max-body-bytes}: a larger one is
   * refused with 413 as soon as that is known (at once when its Content-Length says so, else
   * when the limit is passed), without reading the rest.
   */
  private Route body(java.util.function.Function<String, Route> inner) {
    return bytes(body -> inner.apply(body.utf8String()));
  }

  /** The request body's bytes, bounded as {@link #body} bounds it. */
  private Route bytes(java.util.function.Function<ByteString, Route> inner) {
    return RequestBody.read(maxBodyBytes, "chorus.api.max-body-bytes", metrics, inner);
  }

  /** A request body as JSON; its nesting is bounded like a client frame's. */
  private static JsonNode readBody(String body) throws java.io.IOException {
    return BODY.readTree(body);
  }

  private static boolean tooDeep(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof StreamConstraintsException) return true;
    return false;
  }

  private Route tooDeep() {
    metrics.managementRefused("too_deep");
    return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error(TOO_DEEP));
  }

  /** Stands for a broadcast's position ("<epoch>:<seq>") when a publish's size is checked. */
  private static final String POSITION_ALLOWANCE = "x".repeat(38);

  /** One topic's answer to a publish: its position, or why not. */
  private CompletionStage<Map<String, Object>> publishTo(
      Operations.Node node, String topicName, String event, ByteString payload, boolean binary) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("topic", topicName);
    Topic topic = Topic.parse(topicName);
    Namespace namespace = topic == null ? null : node.namespaces().get(topic.namespace());
    if (topic == null) out.put("error", "invalid topic");
    else if (namespace == null) out.put("error", "unknown namespace");
    else if (FrameCodec.utf8Length(event) > namespace.maxEventBytes()) out.put("error", "event too long");
    // The same bound as a client push, on the whole frame as it is rendered (a broadcast carries
    // its position in the ref slot: "<epoch>:<seq>", at most 40 bytes): a message the namespace
    // allows always fits between nodes.
    else if (!binary && FrameCodec.renderedSize(null, POSITION_ALLOWANCE, topicName, event, payload) > namespace.maxMessageBytes()) {
      out.put("error", "message too large");
    }
    // A binary message is counted as a client's binary push of it (without refs); its one-byte
    // lengths bound the topic and the event to 255 bytes.
    else if (binary && (FrameCodec.utf8Length(topicName) > BinaryCodec.MAX_FIELD_BYTES
        || FrameCodec.utf8Length(event) > BinaryCodec.MAX_FIELD_BYTES)) {
      out.put("error", "topic or event too long for a binary message");
    } else if (binary && BinaryCodec.pushSize(null, null, topicName, event, payload) > namespace.maxMessageBytes()) {
      out.put("error", "message too large");
    }
    if (out.containsKey("error")) return CompletableFuture.completedFuture(out);
    return sharding.entityRefFor(RoomEntity.TYPE_KEY, topicName)
        .<RoomEntity.Published>ask(r -> new RoomEntity.Publish(event, payload, null, r, binary), askTimeout)
        .handle((published, failure) -> {
          if (failure != null) {
            out.put("error", "not sequenced in time: " + failure.getMessage());
          } else {
            out.put("epoch", published.epoch());
            out.put("seq", published.seq());
          }
          return out;
        });
  }

  private Route publish(Operations.Node node, String body) {
    JsonNode request;
    try {
      request = readBody(body);
    } catch (java.io.IOException e) {
      if (tooDeep(e)) return tooDeep();
      return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("body must be JSON"));
    }
    if (request == null || !request.isObject()) return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("body must be a JSON object"));
    String event = request.path("event").isTextual() ? request.get("event").asText() : "";
    Route badEvent = checkEvent(event);
    if (badEvent != null) return badEvent;
    // A JSON "payload", or a "binary" one (base64), broadcast as a Phoenix V2 binary message.
    boolean binary = request.has("binary");
    ByteString payload;
    if (binary) {
      if (request.has("payload")) return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("either payload or binary, not both"));
      if (!request.get("binary").isTextual()) return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("binary must be a base64 string"));
      try {
        payload = ByteString.fromArrayUnsafe(Base64.getDecoder().decode(request.get("binary").asText()));
      } catch (IllegalArgumentException e) {
        return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("binary must be a base64 string"));
      }
    } else {
      if (!request.path("payload").isObject()) return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("payload must be a JSON object"));
      payload = ByteString.fromString(request.get("payload").toString(), StandardCharsets.UTF_8);
    }
    JsonNode many = request.get("topics");
    if (many != null) {
      if (!many.isArray() || many.isEmpty() || many.size() > maxTopicsPerPublish) {
        return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("topics must be a list of 1.." + maxTopicsPerPublish + " topics"));
      }
      List<CompletableFuture<Map<String, Object>>> results = new ArrayList<>();
      for (JsonNode t : many) results.add(publishTo(node, t.asText(""), event, payload, binary).toCompletableFuture());
      CompletionStage<Map<String, Object>> all = CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
          .thenApply(v -> Map.of("results", results.stream().map(CompletableFuture::join).toList()));
      return onSuccess(all, body2 -> BearerAuth.json(StatusCodes.OK, body2));
    }
    if (!request.path("topic").isTextual()) return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("topic (or topics) is required"));
    return answer(publishTo(node, request.get("topic").asText(), event, payload, binary));
  }

  /**
   * {@code POST /api/publish?topic=...&event=...} with {@code Content-Type:
   * application/octet-stream}: the body's bytes as a binary message, without base64's third more.
   */
  private Route publishRaw(Operations.Node node, String topic, String event, ByteString body) {
    Route badEvent = checkEvent(event);
    if (badEvent != null) return badEvent;
    if (topic.isEmpty()) return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("topic is required"));
    return answer(publishTo(node, topic, event, body.compact(), true));
  }

  /** Null for an event a backend may publish, else the error to answer. */
  private static Route checkEvent(String event) {
    if (event.isEmpty()) return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("event must be a non-empty string"));
    if (Events.isReserved(event)) return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("reserved event"));
    return null;
  }

  /** One topic's publish answered: its position, or its error with the status that fits. */
  private Route answer(CompletionStage<Map<String, Object>> publish) {
    return onSuccess(publish, result -> {
      Object error = result.get("error");
      if (error == null) return BearerAuth.json(StatusCodes.OK, result);
      StatusCode status = switch (error.toString()) {
        case "unknown namespace" -> StatusCodes.NOT_FOUND;
        case "message too large" -> StatusCodes.PAYLOAD_TOO_LARGE;
        case "invalid topic", "event too long", "topic or event too long for a binary message" -> StatusCodes.BAD_REQUEST;
        default -> StatusCodes.SERVICE_UNAVAILABLE;
      };
      return BearerAuth.json(status, result);
    });
  }

  /** Closes every connection of a user on every node that answers in time (code 4005). */
  private Route disconnect(Operations.Node self, String body) {
    String user;
    try {
      JsonNode request = readBody(body);
      user = request != null && request.path("user").isTextual() ? request.get("user").asText() : "";
    } catch (java.io.IOException e) {
      if (tooDeep(e)) return tooDeep();
      user = "";
    }
    if (user.isEmpty()) return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("body must be {\"user\": \"<user id>\"}"));
    String who = user;
    CompletionStage<Map<String, Object>> answer = EveryNode.<UserConnections.Disconnect, UserConnections.Disconnected>ask(
            system, UserConnections.SERVICE_KEY, self.userConnections(), r -> new UserConnections.Disconnect(who, r), askTimeout)
        .thenApply(answers -> {
          // per node: how many it closed, or -1 when it did not answer in time
          List<Integer> closed = answers.stream().map(a -> a.map(UserConnections.Disconnected::closed).orElse(-1)).toList();
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("user", who);
          out.put("closed", closed.stream().mapToInt(n -> n).filter(n -> n > 0).sum());
          out.put("nodes", closed.size());
          out.put("answered", (int) closed.stream().filter(n -> n >= 0).count());
          return out;
        });
    return onSuccess(answer, out -> BearerAuth.json(StatusCodes.OK, out));
  }

  /**
   * Subscribes (or unsubscribes) every connection of a user, on every node that answers in time,
   * to a topic: each node's {@link UserSubscriptions} tells the user's sessions there.
   */
  private Route subscription(Operations.Node self, String body, boolean subscribe) {
    JsonNode request;
    try {
      request = readBody(body);
    } catch (java.io.IOException e) {
      if (tooDeep(e)) return tooDeep();
      request = null;
    }
    String user = request != null && request.path("user").isTextual() ? request.get("user").asText() : "";
    String topicName = request != null && request.path("topic").isTextual() ? request.get("topic").asText() : "";
    if (user.isEmpty() || topicName.isEmpty()) {
      return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("body must be {\"user\": \"<user id>\", \"topic\": \"<topic>\"}"));
    }
    Topic topic = Topic.parse(topicName);
    if (topic == null) return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("invalid topic"));
    if (self.namespaces().get(topic.namespace()) == null) return BearerAuth.json(StatusCodes.NOT_FOUND, BearerAuth.error("unknown namespace"));
    CompletionStage<Map<String, Object>> answer = EveryNode.<UserSubscriptions.Change, UserSubscriptions.Changed>ask(
            system, UserSubscriptions.SERVICE_KEY, self.userSubscriptions(),
            r -> new UserSubscriptions.Change(user, topicName, subscribe, r), askTimeout)
        .thenApply(answers -> {
          // per node: how many connections it told, or -1 when it did not answer in time
          List<Integer> told = answers.stream().map(a -> a.map(UserSubscriptions.Changed::connections).orElse(-1)).toList();
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("user", user);
          out.put("topic", topicName);
          out.put("connections", told.stream().mapToInt(n -> n).filter(n -> n > 0).sum());
          out.put("nodes", (int) told.stream().filter(n -> n > 0).count());
          out.put("asked", told.size());
          out.put("answered", (int) told.stream().filter(n -> n >= 0).count());
          return out;
        });
    return onSuccess(answer, out -> BearerAuth.json(StatusCodes.OK, out));
  }

  /**
   * A page of the topics with members, cluster-wide: each node answers its first {@code limit}
   * topics after the cursor ({@code after}, a topic name; String order), and the page is the
   * first {@code limit} of their union, members summed. Every topic of the page is among the
   * first {@code limit} of each node that has it, so its sums are whole. {@code next} is the
   * cursor of the following page, null after the last.
   */
  private Route topics(Operations.Node self, String namespace, java.util.Optional<String> limitText, String after) {
    int limit;
    try {
      limit = limitText.map(Integer::parseInt).orElse(Math.min(100, maxTopicsPerPage));
    } catch (NumberFormatException e) {
      return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("limit must be a number"));
    }
    if (limit < 1 || limit > maxTopicsPerPage) {
      return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("limit must be 1.." + maxTopicsPerPage + " (chorus.api.max-topics-per-page)"));
    }
    if (!namespace.isEmpty() && self.namespaces().get(namespace) == null) {
      return BearerAuth.json(StatusCodes.NOT_FOUND, BearerAuth.error("unknown namespace"));
    }
    if (after.length() > Topic.MAX_LENGTH) return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("after must be a topic"));
    String prefix = namespace.isEmpty() ? "" : namespace + ":";
    int pageSize = limit;
    CompletionStage<Map<String, Object>> answer = EveryNode.<LocalRooms.Command, LocalRooms.TopicPage>ask(
            system, LocalRooms.SERVICE_KEY, self.localRooms(), r -> new LocalRooms.ListTopics(prefix, after, pageSize, r), askTimeout)
        .thenApply(pages -> {
          java.util.TreeMap<String, int[]> byTopic = new java.util.TreeMap<>(); // members, nodes
          boolean more = false;
          int answered = 0;
          for (var p : pages) {
            if (p.isEmpty()) continue;
            answered++;
            LocalRooms.TopicPage page = p.get();
            more |= page.more();
            for (LocalRooms.RoomSize r : page.topics()) {
              int[] acc = byTopic.computeIfAbsent(r.topic(), t -> new int[2]);
              acc[0] += r.members();
              acc[1]++;
            }
          }
          List<Map<String, Object>> topics = new ArrayList<>();
          for (var e : byTopic.entrySet()) {
            if (topics.size() == pageSize) {
              more = true;
              break;
            }
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("topic", e.getKey());
            t.put("members", e.getValue()[0]);
            t.put("nodes", e.getValue()[1]);
            topics.add(t);
          }
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("topics", topics);
          out.put("next", more && !topics.isEmpty() ? topics.get(topics.size() - 1).get("topic") : null);
          out.put("asked", pages.size());
          out.put("answered", answered);
          return out;
        });
    return onSuccess(answer, out -> BearerAuth.json(StatusCodes.OK, out));
  }

  private Route history(Operations.Node node, String topicName, String sinceText) {
    Topic topic = Topic.parse(topicName);
    if (topic == null) return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("invalid topic"));
    if (node.namespaces().get(topic.namespace()) == null) return BearerAuth.json(StatusCodes.NOT_FOUND, BearerAuth.error("unknown namespace"));
    long since;
    try {
      since = Long.parseLong(sinceText);
    } catch (NumberFormatException e) {
      return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("since must be a number"));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("topic", topicName);
    CompletionStage<Map<String, Object>> answer = historyPages(topicName, since, out, new ArrayList<>());
    return onComplete(answer, result -> result.isSuccess()
        ? BearerAuth.json(StatusCodes.OK, result.get())
        : BearerAuth.json(StatusCodes.SERVICE_UNAVAILABLE, BearerAuth.error("history not read: " + result.failed().get().getMessage())));
  }

  /**
   * Reads the kept messages after {@code since} page by page (the entity answers at most
   * chorus.room.replay-page-bytes at a time, so that an answer from another node fits Artery's
   * frame), each page asked after the last seq of the one before, until one says there is no
   * more. If the room restarted between two pages (another epoch), the read fails.
   */
  private CompletionStage<Map<String, Object>> historyPages(
      String topicName, long since, Map<String, Object> out, List<Map<String, Object>> messages) {
    return sharding.entityRefFor(RoomEntity.TYPE_KEY, topicName)
        .<RoomEntity.History>ask(r -> new RoomEntity.GetHistory(since, r), askTimeout)
        .thenCompose(h -> {
          if (out.containsKey("epoch") && !out.get("epoch").equals(h.at().epoch())) {
            return CompletableFuture.failedFuture(new IllegalStateException("the room restarted while its history was read"));
          }
          out.put("epoch", h.at().epoch());
          out.put("seq", h.at().seq());
          for (int i = 0; i < h.seqs().size(); i++) messages.add(historyMessage(h.seqs().get(i), h.frames().get(i)));
          if (h.more() && !h.seqs().isEmpty()) {
            return historyPages(topicName, h.seqs().get(h.seqs().size() - 1), out, messages);
          }
          out.put("messages", messages);
          return CompletableFuture.completedFuture(out);
        });
  }

  /** A kept message as the history API shows it: a binary one's payload as base64 under "binary" instead of "payload". */
  private static Map<String, Object> historyMessage(long seq, ByteString frame) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("seq", seq);
    if (WebSocketFrames.isBinary(frame)) {
      BinaryCodec.Broadcast b;
      try {
        b = BinaryCodec.decodeBroadcast(WebSocketFrames.payload(frame));
      } catch (ProtocolException e) {
        throw new IllegalStateException("history holds rendered binary broadcasts", e);
      }
      m.put("event", b.event());
      m.put("binary", Base64.getEncoder().encodeToString(b.payload().toArray()));
    } else {
      JsonNode json = readJson(WebSocketFrames.payload(frame).utf8String());
      m.put("event", json.path(3).asText());
      m.put("payload", json.path(4));
    }
    return m;
  }

  private static JsonNode readJson(String json) {
    try {
      return JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("history holds rendered JSON frames", e);
    }
  }

  private Route presence(Operations.Node node, String topicName, boolean countOnly) {
    return presence(node, topicName, entries -> {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("topic", topicName);
      body.put("users", PresenceFrames.users(entries));
      body.put("connections", entries.size());
      if (!countOnly) body.put("presence", readTree(PresenceFrames.state(entries).utf8String()));
      return body;
    });
  }

  /** The topic's presence entries, as this node's replica holds them, answered as {@code render} makes them. */
  private Route presence(Operations.Node node, String topicName, java.util.function.Function<List<PresenceEntry>, Map<String, Object>> render) {
    Topic topic = Topic.parse(topicName);
    if (topic == null) return BearerAuth.json(StatusCodes.BAD_REQUEST, BearerAuth.error("invalid topic"));
    Namespace namespace = node.namespaces().get(topic.namespace());
    if (namespace == null) return BearerAuth.json(StatusCodes.NOT_FOUND, BearerAuth.error("unknown namespace"));
    if (!namespace.presence()) {
      return BearerAuth.json(StatusCodes.NOT_FOUND, BearerAuth.error("presence is off in namespace " + namespace.name()));
    }
    var answer = AskPattern.<PresenceReplica.Command, List<PresenceEntry>>ask(
        node.presence(), r -> new PresenceReplica.Get(topicName, r), askTimeout, system.scheduler());
    return onSuccess(answer, entries -> BearerAuth.json(StatusCodes.OK, render.apply(entries)));
  }

  private static ObjectNode readTree(String json) {
    try {
      return (ObjectNode) JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("presence state is always JSON", e);
    }
  }
}
