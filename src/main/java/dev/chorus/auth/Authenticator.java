package dev.chorus.auth;

import com.typesafe.config.Config;

/**
 * The node's policy for connection tokens, by profile. {@code dev}: a connection without a
 * token is anonymous (its user id comes from the {@code user} parameter); a token, when a key
 * is configured, is verified. {@code prod}: every connection needs a valid token, and the node
 * refuses to start without a key to verify them.
 */
public final class Authenticator {
  /** Why a connection without a token is refused in profile prod. */
  public static final String TOKEN_REQUIRED = "token required";

  private final TokenVerifier verifier; // null: no key configured
  private final boolean required;

  private Authenticator(TokenVerifier verifier, boolean required) {
    this.verifier = verifier;
    this.required = required;
  }

  /**
   * @throws IllegalArgumentException for an unknown profile, a bad key, or prod without a key
   */
  public static Authenticator fromConfig(Config chorus) {
    String profile = chorus.getString("profile");
    TokenVerifier verifier = TokenVerifier.fromConfig(chorus.getConfig("auth"));
    return switch (profile) {
      case "dev" -> new Authenticator(verifier, false);
      case "prod" -> {
        if (verifier == null) {
          throw new IllegalArgumentException("profile prod requires a key to verify tokens: set chorus.auth.hs256-secret"
              + " (--auth-secret, CHORUS_AUTH_SECRET), chorus.auth.public-key-file or chorus.auth.jwks-file");
        }
        yield new Authenticator(verifier, true);
      }
      default -> throw new IllegalArgumentException("chorus.profile must be dev or prod, not " + profile);
    };
  }

  /** Whether connections without a token are let in (profile dev). */
  public boolean anonymousAllowed() {
    return !required;
  }

  /**
   * The identity of a connection that presents {@code token} (null or blank: none), or null
   * for an anonymous connection.
   *
   * @throws TokenVerifier.InvalidTokenException why the upgrade is refused (HTTP 403)
   */
  public Identity authenticate(String token) throws TokenVerifier.InvalidTokenException {
    if (token == null || token.isBlank()) {
      if (required) throw new TokenVerifier.InvalidTokenException(TOKEN_REQUIRED);
      return null;
    }
    if (verifier == null) return null; // dev without a key: tokens cannot be checked, so they are not used
    return verifier.verify(token);
  }
}
