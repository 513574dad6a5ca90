package dev.chorus.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;

/**
 * {@code java -jar chorus.jar token --secret S --sub ada [--topics 'room:*,user:{sub}'] [--ttl 1h]}:
 * prints an HS256 connection token, for trying a node that runs profile prod (a backend mints
 * its own tokens the same way).
 */
public final class TokenCommand {
  private TokenCommand() {}

  public static int run(List<String> args) throws Exception {
    String secret = System.getenv().getOrDefault("CHORUS_AUTH_SECRET", "");
    String sub = null;
    String topics = "room:*,user:{sub}";
    Duration ttl = Duration.ofHours(1);
    for (int i = 0; i + 1 < args.size(); i += 2) {
      String v = args.get(i + 1);
      switch (args.get(i)) {
        case "--secret" -> secret = v;
        case "--sub" -> sub = v;
        case "--topics" -> topics = v;
        case "--ttl" -> ttl = Duration.parse("PT" + v.toUpperCase());
        default -> {
          return usage("unknown flag " + args.get(i));
        }
      }
    }
    if (args.size() % 2 != 0) return usage("flag " + args.get(args.size() - 1) + " needs a value");
    if (sub == null) return usage("--sub is required");
    if (secret.length() < 32) return usage("--secret (or CHORUS_AUTH_SECRET) of at least 32 bytes is required");
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .subject(sub)
        .expirationTime(Date.from(Instant.now().plus(ttl)))
        .claim("topics", Arrays.stream(topics.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList())
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    jwt.sign(new MACSigner(secret));
    System.out.println(jwt.serialize());
    return 0;
  }

  private static int usage(String problem) {
    System.err.println("chorus token: " + problem + "\n\nUsage: java -jar chorus.jar token --sub USER [--secret S]"
        + " [--topics 'room:*,user:{sub}'] [--ttl 1h]\n  --secret defaults to CHORUS_AUTH_SECRET; --ttl as 30m, 1h, 12h");
    return 2;
  }
}
