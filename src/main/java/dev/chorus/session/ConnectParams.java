package dev.chorus.session;

import java.util.Map;
import java.util.UUID;

/**
 * The query parameters of the WebSocket upgrade (phoenix.js sends its {@code params} there),
 * the peer's address, and an id of the connection, unique cluster-wide (an anonymous client's
 * presence key). Tokens (issue "tokens") will read their {@code token} from here.
 */
public record ConnectParams(Map<String, String> query, String remoteAddress, String connectionId) {
  /** Longest {@code user} parameter taken as a presence key; a longer one is ignored. */
  static final int MAX_USER_LENGTH = 256;

  public static ConnectParams of(Map<String, String> query, String remoteAddress) {
    return new ConnectParams(Map.copyOf(query), remoteAddress, UUID.randomUUID().toString());
  }

  public String get(String name) {
    return query.get(name);
  }

  /**
   * Who this connection is, for presence: the {@code user} connect parameter, else an id of
   * its own ({@code anon-<uuid>}). Tokens will supply their subject instead.
   */
  public String userId() {
    String user = query.get("user");
    return user != null && !user.isBlank() && user.length() <= MAX_USER_LENGTH ? user : "anon-" + connectionId;
  }
}
