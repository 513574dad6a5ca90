package dev.chorus.auth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Who a connection is, from its verified token: the subject (user id), the topic patterns it
 * may join, presence meta to add to its joins, and when the token expires.
 *
 * <p>Immutable data with a record's accessors, equality and text, but a class: it also keeps its
 * patterns parsed ({@link TopicPattern}), once per token rather than at every join, and a record
 * can hold nothing but its components.
 */
public final class Identity {
  private final String subject;
  private final List<String> topicPatterns;
  private final ObjectNode presenceMeta;
  private final Instant expiresAt;
  private final List<TopicPattern> parsed;

  public Identity(String subject, List<String> topicPatterns, ObjectNode presenceMeta, Instant expiresAt) {
    this.subject = subject;
    this.topicPatterns = topicPatterns;
    this.presenceMeta = presenceMeta;
    this.expiresAt = expiresAt;
    this.parsed = TopicPattern.parseAll(topicPatterns);
  }

  /**
   * Whether {@code topic} matches one of the patterns: {@code room:*} (any topic with that
   * prefix), {@code user:{sub}} ({@code {sub}} stands for the subject, matched literally), or an
   * exact topic; see {@link TopicPattern}.
   */
  public boolean mayJoin(String topic) {
    for (TopicPattern pattern : parsed) if (pattern.matches(topic, subject)) return true;
    return false;
  }

  public String subject() {
    return subject;
  }

  public List<String> topicPatterns() {
    return topicPatterns;
  }

  public ObjectNode presenceMeta() {
    return presenceMeta;
  }

  public Instant expiresAt() {
    return expiresAt;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Identity i && Objects.equals(subject, i.subject) && Objects.equals(topicPatterns, i.topicPatterns)
        && Objects.equals(presenceMeta, i.presenceMeta) && Objects.equals(expiresAt, i.expiresAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(subject, topicPatterns, presenceMeta, expiresAt);
  }

  @Override
  public String toString() {
    return "Identity[subject=" + subject + ", topicPatterns=" + topicPatterns + ", presenceMeta=" + presenceMeta
        + ", expiresAt=" + expiresAt + "]";
  }
}
