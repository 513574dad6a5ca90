package dev.chorus.transport;

import dev.chorus.auth.Identity;
import java.util.Map;
import java.util.UUID;

/**
 * The query parameters of the WebSocket upgrade (phoenix.js sends its {@code params} there),
 * the peer's address, and an id of the connection, unique cluster-wide (an anonymous client's
 * presence key). Tokens (issue "tokens") will read their {@code token} from here.
 */
public record ConnectParams(Map<String, String> query, String remoteAddress, String connectionId, Identity identity) {
  /** Longest {@code user} parameter taken as a presence key; a longer one is ignored. */
  static final int MAX_USER_LENGTH = 256;

  /** {@code identity}: from the connection's verified token, null for an anonymous connection. */
  public static ConnectParams of(Map<String, String> query, String remoteAddress, Identity identity) {
    return new ConnectParams(Map.copyOf(query), remoteAddress, UUID.randomUUID().toString(), identity);
  }

  public String get(String name) {
    return query.get(name);
  }

  /**
   * Who this connection is, for presence: its token's subject; without a token, the {@code user}
   * connect parameter, else an id of its own ({@code anon-<uuid>}).
   */
  public String userId() {
    if (identity != null) return identity.subject();
    String user = query.get("user");
    return user != null && !user.isBlank() && user.length() <= MAX_USER_LENGTH ? user : "anon-" + connectionId;
  }
}
