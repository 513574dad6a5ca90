package dev.chorus.transport;

/**
 * The token a client presents outside its connect parameters: phoenix.js's {@code authToken}
 * option (phoenix.js 1.7.12 and later), which keeps the token out of the URL and so out of
 * proxies' and servers' access logs. A WebSocket carries it in a subprotocol
 * ({@link AuthTokenProtocol}); a LongPoll request in its {@code X-Phoenix-AuthToken} header
 * ({@link #of}). {@link ConnectionAdmission#identify} decides it exactly as the {@code token}
 * parameter, and it wins over that parameter when both are given.
 *
 * @param token the raw token (a JWT), null when none was presented
 * @param malformed the client presented one that could not be read (refused "malformed token")
 */
public record AuthToken(String token, boolean malformed) {
  /** No token presented this way. */
  public static final AuthToken NONE = new AuthToken(null, false);
  /** A token entry that could not be read: bad base64, empty, or longer than a token can be. */
  public static final AuthToken MALFORMED = new AuthToken(null, true);

  /** A raw token as the client sent it (null: none), e.g. LongPoll's X-Phoenix-AuthToken header. */
  public static AuthToken of(String raw) {
    return raw == null ? NONE : raw.isEmpty() || raw.length() > AuthTokenProtocol.MAX_TOKEN_CHARS ? MALFORMED : new AuthToken(raw, false);
  }

  /** Whether the client presented a token this way, readable or not. */
  public boolean presented() {
    return token != null || malformed;
  }
}
