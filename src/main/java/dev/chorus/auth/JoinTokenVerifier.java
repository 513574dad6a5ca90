package dev.chorus.auth;

import com.nimbusds.jwt.JWTClaimsSet;
import com.typesafe.config.Config;
import java.time.Clock;
import java.util.Objects;

/**
 * Verifies join tokens (Centrifugo's subscription tokens): a short JWT that lets one user join
 * one topic of a namespace with {@code join-token = required}. It is checked as a connection
 * token is ({@link TokenVerifier}: the same keys, algorithms, iss, aud and clock skew; sub and
 * exp required), with its lifetime bounded by {@code chorus.auth.join-token-max-lifetime}, and
 * it must carry {@code "topic"}: the topic joined, exactly; its {@code sub} must be the
 * connection's user. Refusals name their reason, prefixed "join token: " (e.g. "join token:
 * token expired", "join token: wrong topic").
 */
public final class JoinTokenVerifier {
  public static final String PREFIX = "join token: ";
  public static final String MISSING = PREFIX + "missing";
  public static final String WRONG_TOPIC = PREFIX + "wrong topic";
  public static final String WRONG_USER = PREFIX + "wrong user";

  private final TokenVerifier verifier;

  private JoinTokenVerifier(TokenVerifier verifier) {
    this.verifier = verifier;
  }

  /** The join token verifier of {@code chorus.auth}, or null when no key is configured. */
  public static JoinTokenVerifier fromConfig(Config auth, Clock clock) {
    if (auth.getDuration("join-token-max-lifetime").isNegative() || auth.getDuration("join-token-max-lifetime").isZero()) {
      throw new IllegalArgumentException("chorus.auth.join-token-max-lifetime must be positive: a join token is short-lived");
    }
    // Every check of a connection token, with the join token's own bound on the lifetime.
    TokenVerifier v = TokenVerifier.fromConfig(
        auth.withValue("max-token-lifetime", auth.getValue("join-token-max-lifetime")), clock);
    return v == null ? null : new JoinTokenVerifier(v);
  }

  public static JoinTokenVerifier fromConfig(Config auth) {
    return fromConfig(auth, Clock.systemUTC());
  }

  /**
   * Checks that {@code token} (null or blank: none) lets {@code user} join {@code topic}.
   *
   * @throws TokenVerifier.InvalidTokenException why not, prefixed {@link #PREFIX}
   */
  public void verify(String token, String topic, String user) throws TokenVerifier.InvalidTokenException {
    if (token == null || token.isBlank()) throw new TokenVerifier.InvalidTokenException(MISSING);
    JWTClaimsSet claims;
    try {
      claims = verifier.verifiedClaims(token);
    } catch (TokenVerifier.InvalidTokenException e) {
      throw new TokenVerifier.InvalidTokenException(PREFIX + e.getMessage());
    }
    if (!Objects.equals(topic, claims.getClaim("topic"))) throw new TokenVerifier.InvalidTokenException(WRONG_TOPIC);
    if (!Objects.equals(user, claims.getSubject())) throw new TokenVerifier.InvalidTokenException(WRONG_USER);
  }
}
