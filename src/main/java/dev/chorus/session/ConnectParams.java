package dev.chorus.session;

import java.util.Map;

/**
 * The query parameters of the WebSocket upgrade (phoenix.js sends its {@code params} there),
 * and the peer's address. Tokens (issue "tokens") will read their {@code token} from here.
 */
public record ConnectParams(Map<String, String> query, String remoteAddress) {
  public String get(String name) {
    return query.get(name);
  }
}
