package dev.chorus.transport;

import dev.chorus.auth.Identity;
import java.util.Map;

/**
 * Who a connection is, from its upgrade request: its verified token's identity (null for an
 * anonymous connection) and {@code userId}, the key of its presence and of its per-user limit:
 * the token's subject; without a token, the {@code user} connect parameter (phoenix.js sends its
 * {@code params} in the query string); else {@code anon-<connection id>}, unique cluster-wide.
 * Worked out once, here: every join of the connection shares the one string. {@code conn} is
 * the connection's own id ({@link ConnectionIds}), for the application's backend: hooks send it
 * as "conn_id" ({@link #connId}), so a backend tells apart two connections of one user.
 */
public record ConnectParams(String userId, Identity identity, long conn) {
  /** Longest {@code user} parameter taken as a presence key; a longer one is ignored. */
  static final int MAX_USER_LENGTH = 256;

  public static ConnectParams of(Map<String, String> query, Identity identity) {
    return of(query, identity, ConnectionIds.next());
  }

  public static ConnectParams of(Map<String, String> query, Identity identity, long conn) {
    String user = query.get("user");
    String userId = identity != null ? identity.subject()
        : user != null && !user.isBlank() && user.length() <= MAX_USER_LENGTH ? user
        : "anon-" + ConnectionIds.render(conn);
    return new ConnectParams(userId, identity, conn);
  }

  /** The connection's id as hooks send it ("conn_id"): 16 hex digits. */
  public String connId() {
    return ConnectionIds.render(conn);
  }
}
