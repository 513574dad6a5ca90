package dev.chorus.transport;

import dev.chorus.auth.Identity;
import java.util.Map;
import java.util.UUID;

/**
 * Who a connection is, from its upgrade request: its verified token's identity (null for an
 * anonymous connection), the {@code user} connect parameter (phoenix.js sends its
 * {@code params} in the query string), and an id of the connection, unique cluster-wide (an
 * anonymous client's presence key).
 */
public record ConnectParams(String userParam, String connectionId, Identity identity) {
  /** Longest {@code user} parameter taken as a presence key; a longer one is ignored. */
  static final int MAX_USER_LENGTH = 256;

  public static ConnectParams of(Map<String, String> query, Identity identity) {
    return new ConnectParams(query.get("user"), UUID.randomUUID().toString(), identity);
  }

  /**
   * Who this connection is, for presence and per-user limits: its token's subject; without a
   * token, the {@code user} connect parameter, else an id of its own ({@code anon-<uuid>}).
   */
  public String userId() {
    if (identity != null) return identity.subject();
    return userParam != null && !userParam.isBlank() && userParam.length() <= MAX_USER_LENGTH
        ? userParam : "anon-" + connectionId;
  }
}
