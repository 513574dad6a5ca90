package dev.chorus.transport;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * Reads phoenix.js's {@code authToken} from a WebSocket upgrade. Browsers let a page set no
 * header on a WebSocket but its subprotocols, so phoenix.js offers two:
 * {@code Sec-WebSocket-Protocol: phoenix, base64url.bearer.phx.<b64>}, where {@code <b64>} is
 * {@code btoa(token)} with its {@code =} removed: despite the name, the standard alphabet (it may
 * hold {@code +} and {@code /}). Both alphabets are read here, with or without padding. The
 * server must select one of the offered protocols or the client aborts the handshake, and it
 * must never be the token's (that would echo the token back): Chorus selects {@code phoenix}.
 * Pure, no Netty.
 */
public final class AuthTokenProtocol {
  /** The subprotocol Chorus selects when a client offers it. */
  public static final String PHOENIX = "phoenix";
  /** phoenix.js's AUTH_TOKEN_PREFIX (assets/js/phoenix/constants.js). */
  public static final String PREFIX = "base64url.bearer.phx.";
  /**
   * Longest token read, in characters: as long as a token the {@code token} parameter can carry
   * (Netty's request line is 4 KiB). A longer entry is malformed. (The whole header block is
   * capped at 8 KiB by Netty's decoder before this runs: over that the request gets 431.)
   */
  static final int MAX_TOKEN_CHARS = 4096;

  private AuthTokenProtocol() {}

  /**
   * What a client offered: whether {@code phoenix} was among its protocols (then the 101 selects
   * it), and the token of its first {@code base64url.bearer.phx.} entry ({@link AuthToken#NONE}
   * without one).
   */
  public record Offer(boolean phoenix, AuthToken token) {
    static final Offer NONE = new Offer(false, AuthToken.NONE);
  }

  /** The offer in the {@code Sec-WebSocket-Protocol} header values (each a comma-separated list; none: empty). */
  public static Offer parse(List<String> headerValues) {
    boolean phoenix = false;
    AuthToken token = AuthToken.NONE;
    for (String value : headerValues) {
      for (String entry : value.split(",")) {
        String protocol = entry.trim();
        if (protocol.equals(PHOENIX)) {
          phoenix = true;
        } else if (protocol.startsWith(PREFIX) && !token.presented()) {
          token = decode(protocol.substring(PREFIX.length()));
        }
      }
    }
    return phoenix || token.presented() ? new Offer(phoenix, token) : Offer.NONE;
  }

  /** The token in an entry's base64 (either alphabet, padded or not), or {@link AuthToken#MALFORMED}. */
  static AuthToken decode(String b64) {
    String unpadded = b64.endsWith("==") ? b64.substring(0, b64.length() - 2) : b64.endsWith("=") ? b64.substring(0, b64.length() - 1) : b64;
    if (unpadded.isEmpty() || unpadded.length() > MAX_TOKEN_CHARS * 4 / 3 + 4 || unpadded.length() % 4 == 1) return AuthToken.MALFORMED;
    StringBuilder standard = new StringBuilder(unpadded.length() + 2);
    for (int i = 0; i < unpadded.length(); i++) {
      char c = unpadded.charAt(i);
      if (c == '-') c = '+';
      else if (c == '_') c = '/';
      else if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/')) return AuthToken.MALFORMED;
      standard.append(c);
    }
    while (standard.length() % 4 != 0) standard.append('=');
    try {
      byte[] bytes = Base64.getDecoder().decode(standard.toString());
      String token = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
      return AuthToken.of(token.isBlank() ? "" : token);
    } catch (IllegalArgumentException | CharacterCodingException e) {
      return AuthToken.MALFORMED;
    }
  }
}
