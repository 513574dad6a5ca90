package dev.chorus.auth;

import static org.junit.jupiter.api.Assertions.*;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The claims a production node checks beyond sub and exp: iss and aud (a token minted for another
 * service, or by another issuer sharing the key), nbf, and a longest lifetime (a leaked token
 * with an exp years ahead). Every refusal gives one of a fixed set of reasons: before, the JWT
 * library's own messages reached the client ("invalid token: ..." with nimbus's text).
 */
class TokenClaimsTest {
  static final String SECRET = "another-shared-secret-of-32-bytes-at-least";
  static final String ISSUER = "https://issuer.test";
  static final Set<String> REASONS = Set.of(TokenVerifier.MALFORMED, TokenVerifier.ALGORITHM, TokenVerifier.BAD_SIGNATURE,
      TokenVerifier.INVALID, TokenVerifier.LACKS_SUB_OR_EXP, TokenVerifier.EXPIRED, TokenVerifier.NOT_YET_VALID,
      TokenVerifier.WRONG_ISSUER, TokenVerifier.WRONG_AUDIENCE, TokenVerifier.LIFETIME_TOO_LONG, TokenVerifier.BAD_TOPICS,
      TokenVerifier.BAD_META, "token required");

  @RegisterExtension
  static final TestNodeExtension NODE = new TestNodeExtension("chorus.profile = prod\n"
      + "chorus.auth { hs256-secret = \"" + SECRET + "\", issuer = \"" + ISSUER + "\", audience = chorus,"
      + " max-token-lifetime = 1 h }");

  /** Now, to the second, as a JWT's dates are. */
  static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS);
  }

  /** Claims that pass every check: iss, aud, iat now, exp in 30 minutes. */
  static JWTClaimsSet.Builder good() {
    Instant now = now();
    return new JWTClaimsSet.Builder().subject("ada").issuer(ISSUER).audience("chorus")
        .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofMinutes(30))))
        .claim("topics", List.of("room:*"));
  }

  static String sign(JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    jwt.sign(new MACSigner(SECRET));
    return jwt.serialize();
  }

  /** A correctly signed JWS whose payload is any text. */
  static String signRaw(String payload) throws Exception {
    JWSObject jws = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(), new Payload(payload));
    jws.sign(new MACSigner(SECRET));
    return jws.serialize();
  }

  static void letIn(String token) throws Exception {
    try (PhxClient s = PhxClient.connect(NODE.port(), PhxClient.VSN + "&token=" + token)) {
      s.join("room:claims"); // fails unless ok
    }
  }

  /** The upgrade is refused with 403; returns its reason. */
  static String refusal(String token) {
    PhxClient.UpgradeRefused e = assertThrows(PhxClient.UpgradeRefused.class,
        () -> PhxClient.connect(NODE.port(), PhxClient.VSN + "&token=" + token).close());
    assertEquals(403, e.status(), e.getMessage());
    return e.body();
  }

  static void refused(String token, String reason) {
    assertEquals(reason, refusal(token));
  }

  @Test
  void aTokenWithTheRightIssuerAudienceAndLifetimeIsLetIn() throws Exception {
    letIn(sign(good().build()));
    letIn(sign(good().audience(List.of("billing", "chorus")).build()));
    Instant now = now();
    letIn(sign(good().issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofHours(1)))).build())); // at the limit
    letIn(sign(good().notBeforeTime(Date.from(now.plusSeconds(10))).build())); // nbf within the clock skew
  }

  @Test
  void aTokenOfAnotherIssuerIsRefused() throws Exception {
    refused(sign(good().issuer("https://evil.test").build()), TokenVerifier.WRONG_ISSUER);
    refused(sign(good().issuer(null).build()), TokenVerifier.WRONG_ISSUER);
  }

  @Test
  void aTokenMintedForAnotherServiceIsRefused() throws Exception {
    refused(sign(good().audience("billing").build()), TokenVerifier.WRONG_AUDIENCE);
    refused(sign(good().audience((String) null).build()), TokenVerifier.WRONG_AUDIENCE);
  }

  @Test
  void aTokenNotValidYetIsRefused() throws Exception {
    refused(sign(good().notBeforeTime(Date.from(now().plusSeconds(120))).build()), TokenVerifier.NOT_YET_VALID);
  }

  @Test
  void aLongLivedTokenIsRefused() throws Exception {
    Instant now = now();
    // just over the hour, with iat
    refused(sign(good().expirationTime(Date.from(now.plus(Duration.ofHours(1)).plusSeconds(1))).build()),
        TokenVerifier.LIFETIME_TOO_LONG);
    // years ahead, no iat: counted from now
    refused(sign(good().issueTime(null).expirationTime(Date.from(now.plus(Duration.ofDays(3650)))).build()),
        TokenVerifier.LIFETIME_TOO_LONG);
    // minted long ago, with a little left: its lifetime still counts
    refused(sign(good().issueTime(Date.from(now.minus(Duration.ofHours(2)))).expirationTime(Date.from(now.plusSeconds(600))).build()),
        TokenVerifier.LIFETIME_TOO_LONG);
    // an iat in the future does not shorten it
    refused(sign(good().issueTime(Date.from(now.plus(Duration.ofHours(1))))
        .expirationTime(Date.from(now.plus(Duration.ofMinutes(90)))).build()), TokenVerifier.LIFETIME_TOO_LONG);
  }

  @Test
  void theJwtLibrarysOwnTextNeverReachesTheClient() throws Exception {
    String good = sign(good().build());
    String[] parts = good.split("\\.");
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String[] probes = {
        "a.b.c",
        "....",
        "x",
        parts[0] + "." + parts[1] + ".",
        parts[0] + "." + parts[1] + "." + b64.encodeToString(new byte[32]),
        b64.encodeToString("{\"alg\":\"HS999\"}".getBytes()) + "." + parts[1] + "." + parts[2],
        b64.encodeToString("{\"alg\":\"RS256\",\"kid\":\"nope\"}".getBytes()) + "." + parts[1] + "." + parts[2],
        b64.encodeToString("{\"alg\":\"dir\",\"enc\":\"A128GCM\"}".getBytes()) + ".." + b64.encodeToString(new byte[12]) + ".AA.AA",
        signRaw("not json"),
        signRaw("[1,2,3]"),
        signRaw("{\"sub\":\"ada\",\"exp\":\"tomorrow\"}"),
        signRaw("{\"sub\":42,\"exp\":9999999999}"),
        signRaw("{\"sub\":\"ada\",\"exp\":9999999999,\"iss\":\"" + ISSUER + "\",\"aud\":\"chorus\",\"topics\":\"room:*\"}"),
    };
    for (String token : probes) {
      String reason = refusal(token);
      assertTrue(REASONS.contains(reason), "'" + reason + "' for " + token + " is one of Chorus's reasons");
    }
    refused(parts[0] + "." + parts[1] + "." + b64.encodeToString(new byte[32]), TokenVerifier.BAD_SIGNATURE);
    refused(signRaw("not json"), TokenVerifier.MALFORMED);
  }
}
