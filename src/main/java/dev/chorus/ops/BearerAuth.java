package dev.chorus.ops;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.metrics.Metrics;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code Authorization: Bearer <key>} for the HTTP APIs on the management port, compared in
 * constant time; no key configured: 403 for everything. Errors are JSON {@code {"error": ...}};
 * each refusal is counted in {@code chorus_management_refused_total} (unauthorized, disabled).
 *
 * <p>A request that carries the {@link #SIGNED_IN} attribute passes without a key: the operators'
 * dashboard (dashboard/DashboardRoutes) sets it on the requests of a signed-in session, whose
 * cookie stood for the admin key at sign-in. Attributes live inside the server; no client can send one.
 */
public final class BearerAuth {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final byte[] key;
  private final String disabledReason;
  private final Metrics metrics;

  public BearerAuth(String key, String disabledReason, Metrics metrics) {
    this.key = key.getBytes(StandardCharsets.UTF_8);
    this.disabledReason = disabledReason;
    this.metrics = metrics;
  }

  /** Set by the dashboard on a signed-in session's requests; its value is the session's id (for the log). */
  public static final AttributeKey<String> SIGNED_IN = AttributeKey.create("chorus-dashboard-session", String.class);

  public Route authorized(Supplier<Route> inner) {
    return extractRequest(request -> request.getAttribute(SIGNED_IN).isPresent() ? inner.get() : byKey(inner));
  }

  private Route byKey(Supplier<Route> inner) {
    return optionalHeaderValueByName("Authorization", header -> {
      if (key.length == 0) {
        metrics.managementRefused("disabled");
        return json(StatusCodes.FORBIDDEN, error(disabledReason));
      }
      String given = header.filter(h -> h.startsWith("Bearer ")).map(h -> h.substring(7).trim()).orElse("");
      if (!MessageDigest.isEqual(key, given.getBytes(StandardCharsets.UTF_8))) {
        metrics.managementRefused("unauthorized");
        return respondWithHeader(RawHeader.create("WWW-Authenticate", "Bearer"), () ->
            json(StatusCodes.UNAUTHORIZED, error("missing or wrong key (Authorization: Bearer <key>)")));
      }
      return inner.get();
    });
  }

  /** {@code inner} with the serving node's parts, or 503 while the node does not serve yet. */
  public static Route serving(Operations operations, java.util.function.Function<Operations.Node, Route> inner) {
    Operations.Node node = operations.node();
    return node == null ? json(StatusCodes.SERVICE_UNAVAILABLE, error("the node is not serving yet")) : inner.apply(node);
  }

  public static Map<String, Object> error(String reason) {
    return Map.of("error", reason);
  }

  public static Route json(StatusCode status, Object body) {
    try {
      return complete(HttpResponse.create()
          .withStatus(status)
          .withEntity(ContentTypes.APPLICATION_JSON, JSON.writeValueAsBytes(body)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render " + body, e);
    }
  }
}
