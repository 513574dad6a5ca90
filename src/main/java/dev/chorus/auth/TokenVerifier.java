package dev.chorus.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies connection tokens (JWT, nimbus-jose-jwt): HS256 with the shared secret, RS256 and
 * ES256 with a public key (PEM) or a JWKS file. Each algorithm is accepted only with the key
 * configured for it, so an unsigned token ({@code none}) or an HS256 token "signed" with the
 * public key is refused. Requires {@code sub} and {@code exp}; checks {@code nbf}, {@code iss}
 * and {@code aud} when configured, and the token's lifetime when bounded; {@code topics}
 * (patterns) and {@code meta} (presence) are optional.
 *
 * <p>A refused token gets one of a fixed set of reasons (the constants below), never the JWT
 * library's own text, which would tell a prober how far its forgery got. The library checks the
 * form and the signature; the claims are checked here, after the signature.
 */
public final class TokenVerifier {
  public static final String MALFORMED = "malformed token";
  public static final String ALGORITHM = "token algorithm not accepted";
  public static final String BAD_SIGNATURE = "bad token signature";
  public static final String INVALID = "invalid token";
  public static final String LACKS_SUB_OR_EXP = "token lacks sub or exp";
  public static final String EXPIRED = "token expired";
  public static final String NOT_YET_VALID = "token not yet valid";
  public static final String WRONG_ISSUER = "wrong issuer";
  public static final String WRONG_AUDIENCE = "wrong audience";
  public static final String LIFETIME_TOO_LONG = "token lifetime too long";
  public static final String BAD_TOPICS = "token claim topics must be a list of patterns";
  public static final String BAD_META = "token claim meta must be an object";

  private static final ObjectMapper JSON = new ObjectMapper();
  private final List<DefaultJWTProcessor<SecurityContext>> processors = new ArrayList<>();
  private final String issuer;
  private final String audience;
  private final Duration clockSkew;
  private final Duration maxLifetime;
  private final Clock clock;

  private TokenVerifier(Config auth, Clock clock) {
    this.issuer = auth.getString("issuer");
    this.audience = auth.getString("audience");
    this.clockSkew = auth.getDuration("clock-skew");
    this.maxLifetime = auth.getDuration("max-token-lifetime");
    this.clock = clock;
    if (clockSkew.isNegative()) throw new IllegalArgumentException("chorus.auth.clock-skew must not be negative");
    if (maxLifetime.isNegative()) throw new IllegalArgumentException("chorus.auth.max-token-lifetime must be 0 (no limit) or more");
  }

  /** The verifier of {@code chorus.auth}, or null when no key is configured. */
  public static TokenVerifier fromConfig(Config auth) {
    return fromConfig(auth, Clock.systemUTC());
  }

  /** As {@link #fromConfig(Config)}, telling the time by {@code clock}. */
  public static TokenVerifier fromConfig(Config auth, Clock clock) {
    TokenVerifier v = new TokenVerifier(auth, clock);
    String secret = auth.getString("hs256-secret");
    if (!secret.isEmpty()) {
      byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
      if (bytes.length < 32) throw new IllegalArgumentException("chorus.auth.hs256-secret must be at least 32 bytes");
      // The secret answers any HS256 token, whatever kid it names (a key set would match kids).
      SecretKeySpec key = new SecretKeySpec(bytes, "HmacSHA256");
      v.add((header, context) -> JWSAlgorithm.HS256.equals(header.getAlgorithm()) ? List.of(key) : List.of());
    }
    String pem = auth.getString("public-key-file");
    if (!pem.isEmpty()) {
      // One configured key answers any token of its algorithm, whatever kid the token names.
      JWK key = readPem(Path.of(pem));
      JWSAlgorithm alg = key instanceof RSAKey ? JWSAlgorithm.RS256 : JWSAlgorithm.ES256;
      java.security.Key publicKey = toPublicKey(key);
      v.add((header, context) -> alg.equals(header.getAlgorithm()) ? List.of(publicKey) : List.of());
    }
    String jwks = auth.getString("jwks-file");
    if (!jwks.isEmpty()) {
      // A key set is matched by kid (and algorithm), as JWKS issuers rotate keys that way.
      List<JWK> keys = readJwks(Path.of(jwks));
      List<JWK> rsa = keys.stream().filter(k -> k instanceof RSAKey).toList();
      List<JWK> ec = keys.stream().filter(k -> k instanceof ECKey).toList();
      if (!rsa.isEmpty()) v.add(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, new ImmutableJWKSet<>(new JWKSet(rsa))));
      if (!ec.isEmpty()) v.add(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, new ImmutableJWKSet<>(new JWKSet(ec))));
    }
    return v.processors.isEmpty() ? null : v;
  }

  private void add(JWSKeySelector<SecurityContext> keys) {
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSKeySelector(keys);
    p.setJWTClaimsSetVerifier(null); // claims: checkClaims, with Chorus's own reasons
    processors.add(p);
  }

  /**
   * The identity a token proves.
   *
   * @throws InvalidTokenException with the reason it is refused, one of the constants above
   */
  public Identity verify(String token) throws InvalidTokenException {
    return identity(verifiedClaims(token));
  }

  /**
   * The claims of a token whose signature and registered claims hold, for tokens that carry
   * more than an identity (join tokens: {@link JoinTokenVerifier}).
   *
   * @throws InvalidTokenException with the reason it is refused, one of the constants above
   */
  public JWTClaimsSet verifiedClaims(String token) throws InvalidTokenException {
    // Each processor knows one algorithm; a token fails all but (at most) its own, so the
    // reason reported is the most telling one: its own processor's, else "algorithm".
    String why = ALGORITHM;
    JWTClaimsSet claims = null;
    for (DefaultJWTProcessor<SecurityContext> p : processors) {
      try {
        claims = p.process(token, null);
        break;
      } catch (ParseException e) {
        throw new InvalidTokenException(MALFORMED);
      } catch (BadJWTException e) {
        // With no claims verifier set, nimbus raises this only for claims that are not a JSON object.
        throw new InvalidTokenException(MALFORMED);
      } catch (BadJWSException e) {
        why = BAD_SIGNATURE; // its algorithm and key, but not its signature
      } catch (BadJOSEException e) {
        // another algorithm, no key of its kid, unsigned or encrypted: another processor may take it
      } catch (JOSEException | RuntimeException e) {
        if (why.equals(ALGORITHM)) why = INVALID;
      }
    }
    if (claims == null) throw new InvalidTokenException(why);
    checkClaims(claims);
    return claims;
  }

  /** The registered claims of a token whose signature holds. */
  private void checkClaims(JWTClaimsSet claims) throws InvalidTokenException {
    Date expiry = claims.getExpirationTime();
    if (claims.getSubject() == null || expiry == null) throw new InvalidTokenException(LACKS_SUB_OR_EXP);
    Instant now = clock.instant();
    Instant exp = expiry.toInstant();
    if (!exp.plus(clockSkew).isAfter(now)) throw new InvalidTokenException(EXPIRED);
    Date notBefore = claims.getNotBeforeTime();
    if (notBefore != null && notBefore.toInstant().minus(clockSkew).isAfter(now)) {
      throw new InvalidTokenException(NOT_YET_VALID);
    }
    if (!issuer.isEmpty() && !issuer.equals(claims.getIssuer())) throw new InvalidTokenException(WRONG_ISSUER);
    if (!audience.isEmpty() && (claims.getAudience() == null || !claims.getAudience().contains(audience))) {
      throw new InvalidTokenException(WRONG_AUDIENCE);
    }
    if (!maxLifetime.isZero()) {
      Date issued = claims.getIssueTime();
      Instant from = issued == null || issued.toInstant().isAfter(now) ? now : issued.toInstant();
      if (Duration.between(from, exp).compareTo(maxLifetime) > 0) throw new InvalidTokenException(LIFETIME_TOO_LONG);
    }
  }

  private static Identity identity(JWTClaimsSet claims) throws InvalidTokenException {
    List<String> topics = new ArrayList<>();
    Object t = claims.getClaim("topics");
    if (t instanceof List<?> list) {
      for (Object o : list) if (o instanceof String s) topics.add(s);
    } else if (t != null) {
      throw new InvalidTokenException(BAD_TOPICS);
    }
    ObjectNode meta = JSON.createObjectNode();
    Object m = claims.getClaim("meta");
    if (m instanceof Map<?, ?> map) {
      meta = JSON.valueToTree(map);
    } else if (m != null) {
      throw new InvalidTokenException(BAD_META);
    }
    return new Identity(claims.getSubject(), List.copyOf(topics), meta, claims.getExpirationTime().toInstant());
  }

  private static java.security.Key toPublicKey(JWK key) {
    try {
      return key instanceof RSAKey r ? r.toPublicKey() : ((ECKey) key).toPublicKey();
    } catch (JOSEException e) {
      throw new IllegalArgumentException("chorus.auth.public-key-file: " + e.getMessage());
    }
  }

  /** A PEM "PUBLIC KEY" (X.509 SubjectPublicKeyInfo), RSA or EC P-256, read with the JDK alone. */
  private static JWK readPem(Path file) {
    try {
      String pem = Files.readString(file)
          .replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
      X509EncodedKeySpec spec = new X509EncodedKeySpec(Base64.getDecoder().decode(pem));
      try {
        return new RSAKey.Builder((RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(spec)).build();
      } catch (InvalidKeySpecException notRsa) {
        return new ECKey.Builder(Curve.P_256, (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(spec)).build();
      }
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("chorus.auth.public-key-file " + file + " is not a PEM RSA or EC public key: " + e.getMessage());
    }
  }

  private static List<JWK> readJwks(Path file) {
    try {
      List<JWK> keys = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (JWK k : JWKSet.parse(Files.readString(file)).getKeys()) {
        if (seen.add(k.getKeyID() + k.getKeyType())) keys.add(k.isPrivate() ? k.toPublicJWK() : k);
      }
      return keys;
    } catch (IOException | ParseException e) {
      throw new IllegalArgumentException("chorus.auth.jwks-file " + file + ": " + e.getMessage());
    }
  }

  /** Why a token is refused. */
  public static final class InvalidTokenException extends Exception {
    public InvalidTokenException(String reason) {
      super(reason);
    }
  }
}
