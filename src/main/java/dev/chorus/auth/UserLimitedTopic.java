package dev.chorus.auth;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A topic that names the only users who may join it after {@code #}, as Centrifugo's
 * user-limited channels do: {@code dm:#alice,bob} is joinable by {@code alice} and {@code bob}
 * alone (in a namespace with {@code user-limited = on}). The users are the comma-separated list
 * after the first {@code #} of the topic, compared exactly (no trimming, case kept). The list is
 * checked, not guessed at: an empty list, an empty entry ({@code #a,,b}, a trailing comma) or
 * more than {@code maxUsers} entries (duplicates count, they are still entries) make the topic
 * {@link Access#INVALID}. Its length is already bounded as every topic's is
 * ({@link dev.chorus.protocol.Topic#MAX_LENGTH}).
 */
public final class UserLimitedTopic {
  private UserLimitedTopic() {}

  /** What a user-limited namespace makes of a join. */
  public enum Access {
    /** The topic names no users (no {@code #}): any user may join, as in any namespace. */
    NOT_LIMITED,
    /** The user is on the topic's list. */
    ALLOWED,
    /** The user is not on it: "not allowed". */
    NOT_ALLOWED,
    /** The list is empty, has an empty entry or too many: "invalid user list". */
    INVALID
  }

  /** The users a topic names, distinct, in order; null when it names none (no {@code #}). */
  public static Set<String> users(String topic, int maxUsers) {
    int hash = topic.indexOf('#');
    if (hash < 0) return null;
    String[] entries = topic.substring(hash + 1).split(",", -1);
    if (entries.length > maxUsers) throw new IllegalArgumentException("more than " + maxUsers + " users");
    Set<String> users = new LinkedHashSet<>();
    for (String user : entries) {
      if (user.isEmpty()) throw new IllegalArgumentException("an empty user");
      users.add(user);
    }
    return users;
  }

  /** Whether {@code user} may join {@code topic}. */
  public static Access access(String topic, String user, int maxUsers) {
    Set<String> users;
    try {
      users = users(topic, maxUsers);
    } catch (IllegalArgumentException e) {
      return Access.INVALID;
    }
    if (users == null) return Access.NOT_LIMITED;
    return users.contains(user) ? Access.ALLOWED : Access.NOT_ALLOWED;
  }
}
