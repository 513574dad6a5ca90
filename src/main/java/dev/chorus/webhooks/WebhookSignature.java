package dev.chorus.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature of a webhook request, the same as hooks': header {@code X-Chorus-Signature:
 * sha256=<lowercase hex of HMAC-SHA256(secret, raw body bytes)>}. The backend computes it over
 * the bytes it received and compares in constant time.
 */
public final class WebhookSignature {
  public static final String HEADER = "X-Chorus-Signature";
  public static final String REQUEST_ID_HEADER = "X-Chorus-Request-Id";

  private WebhookSignature() {}

  /** The header's value for {@code body}; null when {@code secret} is empty (requests go unsigned). */
  public static String sign(String secret, byte[] body) {
    if (secret == null || secret.isEmpty()) return null;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
