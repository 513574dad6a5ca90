package dev.chorus.hooks;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code X-Chorus-Signature} header of every request Chorus sends a backend, hooks and
 * webhooks alike: {@code sha256=} and the lowercase hex of HMAC-SHA256(secret, the raw request
 * body). A backend computes the same over the bytes it received and compares in constant time.
 */
public final class HookSignature {
  public static final String HEADER = "X-Chorus-Signature";
  public static final String REQUEST_ID_HEADER = "X-Chorus-Request-Id";

  private HookSignature() {}

  public static String sign(String secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /** Whether {@code header} is the signature of {@code body}, compared in constant time. */
  public static boolean verify(String secret, byte[] body, String header) {
    if (header == null) return false;
    return MessageDigest.isEqual(
        sign(secret, body).getBytes(StandardCharsets.US_ASCII), header.getBytes(StandardCharsets.US_ASCII));
  }
}
