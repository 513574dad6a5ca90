package dev.chorus.dashboard;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The dashboard's session cookie: {@code v1.<expiry, epoch seconds>.<session id>.<mac>}, the mac
 * an HMAC-SHA256 of the rest under a secret derived from the admin key. Nothing is kept per
 * session: any node with the same admin key accepts the cookie until it expires, and a new admin
 * key signs everybody out. The session id is random and names the session in the audit log.
 *
 * <p>The secret is derived (SHA-256 of a label and the key), not the key itself, so that a mac
 * never is an HMAC under a key that also opens the admin API as a bearer key.
 */
final class SessionToken {
  private static final String VERSION = "v1";
  /** A real token is ~75 characters; anything far longer is not parsed at all. */
  static final int MAX_LENGTH = 200;
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private final SecretKeySpec secret;
  private final SecureRandom random = new SecureRandom();

  SessionToken(String adminKey) {
    try {
      byte[] derived = MessageDigest.getInstance("SHA-256")
          .digest(("chorus dashboard session\0" + adminKey).getBytes(StandardCharsets.UTF_8));
      this.secret = new SecretKeySpec(derived, "HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** A new session's token, valid until {@code expiresAtSeconds}. */
  String issue(long expiresAtSeconds) {
    byte[] id = new byte[8];
    random.nextBytes(id);
    String body = VERSION + "." + expiresAtSeconds + "." + HexFormat.of().formatHex(id);
    return body + "." + mac(body);
  }

  /** The session id of a token this key signed that is still valid at {@code nowSeconds}; else empty. */
  Optional<String> verify(String token, long nowSeconds) {
    if (token == null || token.length() > MAX_LENGTH) return Optional.empty();
    String[] parts = token.split("\\.", -1);
    if (parts.length != 4 || !parts[0].equals(VERSION)) return Optional.empty();
    String body = parts[0] + "." + parts[1] + "." + parts[2];
    if (!MessageDigest.isEqual(mac(body).getBytes(StandardCharsets.US_ASCII), parts[3].getBytes(StandardCharsets.US_ASCII))) {
      return Optional.empty();
    }
    long expires;
    try {
      expires = Long.parseLong(parts[1]);
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    return nowSeconds < expires ? Optional.of(parts[2]) : Optional.empty();
  }

  private String mac(String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(secret);
      return B64.encodeToString(mac.doFinal(body.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
