package dev.chorus.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import dev.chorus.auth.JoinTokenVerifier;
import dev.chorus.auth.TokenVerifier;
import dev.chorus.auth.UserLimitedTopic;
import dev.chorus.room.Namespace;
import dev.chorus.room.Namespaces;
import dev.chorus.transport.ConnectParams;
import java.io.IOException;
import org.apache.pekko.util.ByteString;

/**
 * Who may join a topic, beyond the connection token's topic patterns: the namespace's
 * user-limited topics ({@link UserLimitedTopic}) and its join tokens ({@link JoinTokenVerifier}).
 * Pure and quick (an HMAC or a signature check at most), so a session asks it in line.
 */
public final class JoinAccess {
  public static final String NOT_ALLOWED = "not allowed";
  public static final String INVALID_USER_LIST = "invalid user list";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Null: no key configured, and no namespace requires join tokens. */
  private final JoinTokenVerifier joinTokens;

  public JoinAccess(JoinTokenVerifier joinTokens) {
    this.joinTokens = joinTokens;
  }

  /** Open access: no namespace requires join tokens (tests of sessions). */
  public static final JoinAccess NONE = new JoinAccess(null);

  /**
   * @throws IllegalArgumentException when a namespace requires join tokens and no key is
   *     configured to verify them: such a node would refuse every join of it
   */
  public static JoinAccess fromConfig(Config chorus, Namespaces namespaces) {
    JoinTokenVerifier verifier = JoinTokenVerifier.fromConfig(chorus.getConfig("auth"));
    for (Namespace n : namespaces.all()) {
      if (n.joinTokenRequired() && verifier == null) {
        throw new IllegalArgumentException("namespace " + n.name() + " has join-token = required: set a key to verify them,"
            + " chorus.auth.hs256-secret, public-key-file or jwks-file");
      }
    }
    return new JoinAccess(verifier);
  }

  /**
   * Null when the connection may join {@code topic} as far as this goes, else the reason to
   * refuse it (a join's reply and its metric label: a fixed set of texts).
   */
  public String refusal(String topic, Namespace namespace, ConnectParams connection, ByteString payload) {
    if (namespace.userLimited()) {
      switch (UserLimitedTopic.access(topic, connection.userId(), namespace.userLimitedMaxUsers())) {
        case NOT_ALLOWED -> {
          return NOT_ALLOWED;
        }
        case INVALID -> {
          return INVALID_USER_LIST;
        }
        default -> {}
      }
    }
    if (namespace.joinTokenRequired()) {
      try {
        joinTokens.verify(token(payload), topic, connection.userId());
      } catch (TokenVerifier.InvalidTokenException e) {
        return e.getMessage();
      }
    }
    return null;
  }

  /** The join payload's {@code "token"}, or null. */
  private static String token(ByteString payload) {
    if (payload == null || payload.isEmpty()) return null;
    try {
      JsonNode json = JSON.readTree(payload.toArray());
      return json != null && json.path("token").isTextual() ? json.get("token").asText() : null;
    } catch (IOException e) {
      return null; // the codec already checked the frame; a payload that is no object has no token
    }
  }
}
