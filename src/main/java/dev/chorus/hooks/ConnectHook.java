package dev.chorus.hooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.auth.Identity;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The connect hook's request fields and what its answer makes of a connection, apart from the
 * transport that asks: the request carries the connect params (the query string phoenix.js
 * sends its {@code params} in, {@code vsn} aside), the upgrade's headers the hook is configured
 * to pass on, the remote address, the transport, and the token's subject if a token was
 * verified; an allowed answer with a {@code user} gives the connection an identity as a token
 * would ({@code topics} the patterns it may join, all when absent; {@code meta} its presence
 * meta); without one, the connection keeps its token's identity, or stays anonymous.
 */
public final class ConnectHook {
  /** How long a backend-given identity lasts when no token bounds it: as long as the connection. */
  static final Duration NO_EXPIRY = Duration.ofDays(365L * 100);

  private ConnectHook() {}

  /** The connect hook's decision: an identity (null: anonymous), or an HTTP status and reason. */
  public record Decision(Identity identity, int status, String refusal) {}

  public static ObjectNode fields(
      Map<String, String> query, Map<String, String> headers, List<String> allowedHeaders, String ip, String transport, Identity token) {
    ObjectNode fields = HookRequest.fields();
    ObjectNode params = fields.putObject("params");
    query.forEach((k, v) -> {
      if (!k.equals("vsn")) params.put(k, v);
    });
    ObjectNode h = fields.putObject("headers");
    for (String name : allowedHeaders) {
      String value = headers.get(name);
      if (value != null) h.put(name, value);
    }
    fields.put("remote_addr", ip);
    fields.put("transport", transport);
    if (token != null) fields.put("token_subject", token.subject());
    return fields;
  }

  /**
   * Allowed: the backend's identity, or the token's. Refused by the backend: 403 with its
   * reason. No answer (on-failure = refuse): 503 with the failure's reason, since a retry may
   * well succeed.
   */
  public static Decision decide(HookResult result, Identity token) {
    if (result instanceof HookResult.Failed f) return new Decision(null, 503, f.kind().reason());
    HookAnswer a = ((HookResult.Answered) result).answer();
    if (!a.allowed()) return new Decision(null, 403, a.reason());
    if (a.user() == null) return new Decision(token, 101, null);
    ObjectNode meta = a.meta() != null ? a.meta() : token != null ? token.presenceMeta() : HookRequest.fields();
    Instant expiresAt = token != null ? token.expiresAt() : Instant.now().plus(NO_EXPIRY);
    return new Decision(new Identity(a.user(), a.topics() != null ? a.topics() : List.of("*"), meta, expiresAt), 101, null);
  }
}
