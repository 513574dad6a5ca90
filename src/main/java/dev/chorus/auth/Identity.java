package dev.chorus.auth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;

/**
 * Who a connection is, from its verified token: the subject (user id), the topic patterns it
 * may join, presence meta to add to its joins, and when the token expires.
 */
public record Identity(String subject, List<String> topicPatterns, ObjectNode presenceMeta, Instant expiresAt) {

  /**
   * Whether {@code topic} matches one of the patterns: {@code room:*} (any topic with that
   * prefix), {@code user:{sub}} ({@code {sub}} stands for the subject), or an exact topic.
   */
  public boolean mayJoin(String topic) {
    for (String pattern : topicPatterns) {
      String p = pattern.replace("{sub}", subject);
      if (p.endsWith("*") ? topic.startsWith(p.substring(0, p.length() - 1)) : topic.equals(p)) return true;
    }
    return false;
  }
}
