package dev.chorus.auth;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Token topic patterns: literal text, {sub} for the subject (matched literally), a trailing *. */
class TopicPatternTest {

  static boolean matches(String pattern, String subject, String topic) {
    return TopicPattern.parse(pattern).matches(topic, subject);
  }

  static Identity identity(String subject, String... patterns) {
    return new Identity(subject, List.of(patterns), null, Instant.EPOCH);
  }

  @Test
  void anExactTopicMatchesItselfOnly() {
    assertTrue(matches("room:lobby", "ada", "room:lobby"));
    assertFalse(matches("room:lobby", "ada", "room:lobby2"));
    assertFalse(matches("room:lobby", "ada", "room:lobb"));
    assertFalse(matches("room:lobby", "ada", "room:"));
  }

  @Test
  void aTrailingStarMatchesAnySuffix() {
    assertTrue(matches("room:*", "ada", "room:lobby"));
    assertTrue(matches("room:*", "ada", "room:"));
    assertTrue(matches("room:*", "ada", "room:a:b*c"));
    assertFalse(matches("room:*", "ada", "user:ada"));
    assertFalse(matches("room:*", "ada", "room"));
    assertTrue(matches("*", "ada", "anything:at-all"));
  }

  @Test
  void subStandsForTheSubject() {
    assertTrue(matches("user:{sub}", "alice", "user:alice"));
    assertFalse(matches("user:{sub}", "alice", "user:bob"));
    assertFalse(matches("user:{sub}", "alice", "user:alice2"));
    assertFalse(matches("user:{sub}", "alice", "user:alic"));
    assertFalse(matches("user:{sub}", "alice", "user:{sub}"));
  }

  @Test
  void aSubjectStarIsMatchedLiterallyNeverAsAWildcard() {
    assertFalse(matches("room:dm-{sub}", "*", "room:dm-bob"), "the bug: a subject of * joined anyone's DMs");
    assertFalse(matches("room:dm-{sub}", "*", "room:dm-"));
    assertTrue(matches("room:dm-{sub}", "*", "room:dm-*"));
    assertFalse(matches("room:dm-{sub}", "a*", "room:dm-abc"));
    assertTrue(matches("room:dm-{sub}", "a*", "room:dm-a*"));
  }

  @Test
  void aSubjectThatLooksLikeAPlaceholderIsLiteralToo() {
    assertTrue(matches("user:{sub}", "{sub}", "user:{sub}"));
    assertFalse(matches("user:{sub}", "{sub}", "user:ada"));
    assertTrue(matches("user:{sub}", "{", "user:{"));
    assertTrue(matches("user:{sub}", "}", "user:}"));
  }

  @Test
  void subThenAStar() {
    assertTrue(matches("{sub}:*", "ada", "ada:notes"));
    assertTrue(matches("{sub}:*", "ada", "ada:"));
    assertFalse(matches("{sub}:*", "ada", "bob:notes"));
    assertFalse(matches("{sub}:*", "ada", "adam:notes"));
    assertFalse(matches("{sub}:*", "*", "ada:notes"));
    assertTrue(matches("{sub}:*", "*", "*:notes"));
  }

  @Test
  void subMayStandSeveralTimes() {
    assertTrue(matches("dm:{sub}-{sub}", "ada", "dm:ada-ada"));
    assertFalse(matches("dm:{sub}-{sub}", "ada", "dm:ada-bob"));
    assertTrue(matches("{sub}{sub}", "ab", "abab"));
    assertFalse(matches("{sub}{sub}", "ab", "ab"));
  }

  @Test
  void aStarInTheMiddleIsLiteral() {
    // Only a trailing * is a wildcard: "room:*:chat" is that exact text, not "room:<any>:chat".
    assertTrue(matches("room:*:chat", "ada", "room:*:chat"));
    assertFalse(matches("room:*:chat", "ada", "room:lobby:chat"));
    // "a**": a literal * then the wildcard.
    assertTrue(matches("a**", "ada", "a*b"));
    assertFalse(matches("a**", "ada", "ab"));
  }

  @Test
  void patternsAreParsedIntoLiteralsAroundThePlaceholders() {
    assertEquals(new TopicPattern(List.of("room:"), true), TopicPattern.parse("room:*"));
    assertEquals(new TopicPattern(List.of("user:", ""), false), TopicPattern.parse("user:{sub}"));
    assertEquals(new TopicPattern(List.of("", ":"), true), TopicPattern.parse("{sub}:*"));
    assertEquals(new TopicPattern(List.of(""), false), TopicPattern.parse(""));
  }

  @Test
  void anEmptyPatternMatchesOnlyTheEmptyTopic() {
    assertFalse(matches("", "ada", "room:lobby"));
    assertTrue(matches("", "ada", ""));
  }

  @Test
  void anIdentityMayJoinWhatAnyOfItsPatternsMatches() {
    Identity ada = identity("ada", "room:*", "user:{sub}");
    assertTrue(ada.mayJoin("room:lobby"));
    assertTrue(ada.mayJoin("user:ada"));
    assertFalse(ada.mayJoin("user:bob"));
    assertFalse(ada.mayJoin("secret:plans"));
    Identity star = identity("*", "room:dm-{sub}");
    assertFalse(star.mayJoin("room:dm-bob"));
    assertTrue(star.mayJoin("room:dm-*"));
  }

  @Test
  void anIdentityWithNoPatternsMayJoinNothing() {
    Identity none = identity("ada");
    assertFalse(none.mayJoin("room:lobby"));
    assertFalse(none.mayJoin(""));
  }

  @Test
  void anIdentityIsDataStill() {
    assertEquals(identity("ada", "room:*"), identity("ada", "room:*"));
    assertEquals(identity("ada", "room:*").hashCode(), identity("ada", "room:*").hashCode());
    assertNotEquals(identity("ada", "room:*"), identity("bob", "room:*"));
    assertEquals("Identity[subject=ada, topicPatterns=[room:*], presenceMeta=null, expiresAt=1970-01-01T00:00:00Z]",
        identity("ada", "room:*").toString());
  }
}
