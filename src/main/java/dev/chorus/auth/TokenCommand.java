package dev.chorus.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;

/**
 * {@code java -jar chorus.jar token --secret S --sub ada [--topics 'room:*,user:{sub}'] [--ttl 1h]
 * [--issuer I] [--audience A] [--topic T]}: prints an HS256 connection token (with {@code iat}), for
 * trying a node that runs profile prod (a backend mints its own tokens the same way). With
 * {@code --topic}, the token also carries that {@code "topic"} claim: a join token of {@code --sub}
 * for that topic ({@link JoinTokenVerifier}; its --ttl must be within
 * {@code chorus.auth.join-token-max-lifetime}).
 */
public final class TokenCommand {
  private TokenCommand() {}

  public static int run(List<String> args) throws Exception {
    return run(args, System.out, System.err);
  }

  /** As {@link #run(List)}, printing the token to {@code out} and problems to {@code err}. */
  public static int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
    String secret = System.getenv().getOrDefault("CHORUS_AUTH_SECRET", "");
    String sub = null;
    String topics = "room:*,user:{sub}";
    Duration ttl = Duration.ofHours(1);
    String issuer = System.getenv().getOrDefault("CHORUS_AUTH_ISSUER", "");
    String audience = System.getenv().getOrDefault("CHORUS_AUTH_AUDIENCE", "");
    String topic = null;
    for (int i = 0; i + 1 < args.size(); i += 2) {
      String v = args.get(i + 1);
      switch (args.get(i)) {
        case "--secret" -> secret = v;
        case "--sub" -> sub = v;
        case "--topics" -> topics = v;
        case "--ttl" -> ttl = Duration.parse("PT" + v.toUpperCase());
        case "--issuer" -> issuer = v;
        case "--audience" -> audience = v;
        case "--topic" -> topic = v;
        default -> {
          return usage(err, "unknown flag " + args.get(i));
        }
      }
    }
    if (args.size() % 2 != 0) return usage(err, "flag " + args.get(args.size() - 1) + " needs a value");
    if (sub == null) return usage(err, "--sub is required");
    if (secret.length() < 32) return usage(err, "--secret (or CHORUS_AUTH_SECRET) of at least 32 bytes is required");
    Instant now = Instant.now();
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
        .subject(sub)
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(ttl)))
        .claim("topics", Arrays.stream(topics.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList());
    if (!issuer.isEmpty()) claims.issuer(issuer);
    if (!audience.isEmpty()) claims.audience(audience);
    if (topic != null) claims.claim("topic", topic);
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
    jwt.sign(new MACSigner(secret));
    out.println(jwt.serialize());
    return 0;
  }

  private static int usage(PrintStream err, String problem) {
    err.println("chorus token: " + problem + "\n\nUsage: java -jar chorus.jar token --sub USER [--secret S]"
        + " [--topics 'room:*,user:{sub}'] [--ttl 1h] [--issuer I] [--audience A] [--topic T]\n  --topic T makes it a join token for topic T;\n  --secret defaults to CHORUS_AUTH_SECRET,"
        + " --issuer to CHORUS_AUTH_ISSUER, --audience to CHORUS_AUTH_AUDIENCE; --ttl as 30m, 1h, 12h");
    return 2;
  }
}
