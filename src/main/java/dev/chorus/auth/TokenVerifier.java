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
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
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
import java.util.Base64;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies connection tokens (JWT, nimbus-jose-jwt): HS256 with the shared secret, RS256 and
 * ES256 with a public key (PEM) or a JWKS file. Each algorithm is accepted only with the key
 * configured for it, so an unsigned token ({@code none}) or an HS256 token "signed" with the
 * public key is refused. Requires {@code sub} and {@code exp}; checks {@code iss} and
 * {@code aud} when configured; {@code topics} (patterns) and {@code meta} (presence) are optional.
 */
public final class TokenVerifier {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final List<DefaultJWTProcessor<SecurityContext>> processors = new ArrayList<>();

  private TokenVerifier() {}

  /** The verifier of {@code chorus.auth}, or null when no key is configured. */
  public static TokenVerifier fromConfig(Config auth) {
    TokenVerifier v = new TokenVerifier();
    String secret = auth.getString("hs256-secret");
    if (!secret.isEmpty()) {
      byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
      if (bytes.length < 32) throw new IllegalArgumentException("chorus.auth.hs256-secret must be at least 32 bytes");
      // The secret answers any HS256 token, whatever kid it names (a key set would match kids).
      SecretKeySpec key = new SecretKeySpec(bytes, "HmacSHA256");
      v.add((header, context) -> JWSAlgorithm.HS256.equals(header.getAlgorithm()) ? List.of(key) : List.of(), auth);
    }
    String pem = auth.getString("public-key-file");
    if (!pem.isEmpty()) {
      // One configured key answers any token of its algorithm, whatever kid the token names.
      JWK key = readPem(Path.of(pem));
      JWSAlgorithm alg = key instanceof RSAKey ? JWSAlgorithm.RS256 : JWSAlgorithm.ES256;
      java.security.Key publicKey = toPublicKey(key);
      v.add((header, context) -> alg.equals(header.getAlgorithm()) ? List.of(publicKey) : List.of(), auth);
    }
    String jwks = auth.getString("jwks-file");
    if (!jwks.isEmpty()) {
      // A key set is matched by kid (and algorithm), as JWKS issuers rotate keys that way.
      List<JWK> keys = readJwks(Path.of(jwks));
      List<JWK> rsa = keys.stream().filter(k -> k instanceof RSAKey).toList();
      List<JWK> ec = keys.stream().filter(k -> k instanceof ECKey).toList();
      if (!rsa.isEmpty()) v.add(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, new ImmutableJWKSet<>(new JWKSet(rsa))), auth);
      if (!ec.isEmpty()) v.add(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, new ImmutableJWKSet<>(new JWKSet(ec))), auth);
    }
    return v.processors.isEmpty() ? null : v;
  }

  private void add(JWSKeySelector<SecurityContext> keys, Config auth) {
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSKeySelector(keys);
    JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
    if (!auth.getString("issuer").isEmpty()) exact.issuer(auth.getString("issuer"));
    String audience = auth.getString("audience");
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
        audience.isEmpty() ? null : audience, exact.build(), Set.of("sub", "exp"));
    claims.setMaxClockSkew((int) auth.getDuration("clock-skew").toSeconds());
    p.setJWTClaimsSetVerifier(claims);
    processors.add(p);
  }

  /**
   * The identity a token proves.
   *
   * @throws InvalidTokenException with the reason it is refused
   */
  public Identity verify(String token) throws InvalidTokenException {
    // Each processor knows one algorithm; a token fails all but (at most) its own, so the
    // reason reported is the most telling one: its own processor's, else "algorithm".
    String why = "token algorithm not accepted";
    for (DefaultJWTProcessor<SecurityContext> p : processors) {
      try {
        return identity(p.process(token, null));
      } catch (ParseException e) {
        throw new InvalidTokenException("malformed token");
      } catch (com.nimbusds.jose.proc.BadJOSEException | JOSEException e) {
        String reason = reason(e);
        if (!reason.equals("token algorithm not accepted")) why = reason;
      }
    }
    throw new InvalidTokenException(why);
  }

  private static String reason(Exception e) {
    String m = String.valueOf(e.getMessage());
    if (m.contains("Expired")) return "token expired";
    if (m.contains("missing required claims")) return "token lacks sub or exp";
    if (m.contains("Another algorithm expected") || m.contains("Unsecured") || m.contains("not allowed")) {
      return "token algorithm not accepted";
    }
    if (m.contains("signature")) return "bad token signature";
    return "invalid token: " + m;
  }

  private static Identity identity(JWTClaimsSet claims) throws InvalidTokenException {
    List<String> topics = new ArrayList<>();
    Object t = claims.getClaim("topics");
    if (t instanceof List<?> list) {
      for (Object o : list) if (o instanceof String s) topics.add(s);
    } else if (t != null) {
      throw new InvalidTokenException("token claim topics must be a list of patterns");
    }
    ObjectNode meta = JSON.createObjectNode();
    Object m = claims.getClaim("meta");
    if (m instanceof Map<?, ?> map) {
      meta = JSON.valueToTree(map);
    } else if (m != null) {
      throw new InvalidTokenException("token claim meta must be an object");
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
