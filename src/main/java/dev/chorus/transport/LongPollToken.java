package dev.chorus.transport;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The token of a LongPoll session: {@code v1.<node>.<session id>.<signature>}, where node is the
 * cluster address of the node holding the session (base64url), the session id is random, and
 * the signature is an HMAC-SHA256 of the rest with a secret this node drew at start and never
 * shares. Any node can read which node a token names (to forward the request there); only the
 * owning node can tell whether it is genuine, and it is the only one that needs to: a forged or
 * altered token, or one of an earlier incarnation of the node (another secret), names no
 * session. Pure code, thread-safe.
 */
public final class LongPollToken {
  private static final String VERSION = "v1";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Longer strings are not read as tokens at all (a node address and two 32-byte values fit in far less). */
  static final int MAX_LENGTH = 512;

  private final String node;
  private final SecretKeySpec key;

  LongPollToken(String node, byte[] secret) {
    this.node = node;
    this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
  }

  /** The tokens of this node ({@code node}: its cluster address), signed with a fresh random secret. */
  public static LongPollToken withRandomSecret(String node) {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return new LongPollToken(node, secret);
  }

  public String node() {
    return node;
  }

  /** A new session id: 128 random bits. */
  static String newSessionId() {
    byte[] id = new byte[16];
    RANDOM.nextBytes(id);
    return B64.encodeToString(id);
  }

  /** The token naming session {@code sessionId} of this node. */
  String issue(String sessionId) {
    String body = VERSION + "." + B64.encodeToString(node.getBytes(StandardCharsets.UTF_8)) + "." + sessionId;
    return body + "." + B64.encodeToString(mac(body));
  }

  /**
   * The node a string in the token's shape names, or null when it does not have the shape (so
   * it is no session token: a connect token, say). Says nothing of whether it is genuine.
   */
  static String nodeOf(String token) {
    String[] parts = parts(token);
    if (parts == null) return null;
    try {
      return new String(B64D.decode(parts[1]), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The session id of a genuine token of this node, else null (forged, altered, another node's or incarnation's). */
  String verify(String token) {
    String[] parts = parts(token);
    if (parts == null || !node.equals(nodeOf(token))) return null;
    // Compared as text with the one encoding this node issues: decoding first would accept other
    // spellings of the same signature (the decoder ignores the unused low bits of the last
    // character), so one token would have several forms.
    String body = token.substring(0, token.lastIndexOf('.'));
    byte[] expected = B64.encodeToString(mac(body)).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, parts[3].getBytes(StandardCharsets.US_ASCII)) ? parts[2] : null;
  }

  private static String[] parts(String token) {
    if (token == null || token.length() > MAX_LENGTH || !token.startsWith(VERSION + ".")) return null;
    String[] parts = token.split("\\.", -1);
    return parts.length == 4 && !parts[2].isEmpty() ? parts : null;
  }

  private byte[] mac(String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256"); // a Mac is not thread-safe, and this is cheap next to a request
      mac.init(key);
      return mac.doFinal(body.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
