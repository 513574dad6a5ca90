package dev.chorus.auth;

import static dev.chorus.auth.UserLimitedTopic.Access.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The parser of user-limited topics ({@code dm:#alice,bob}), without a node. */
class UserLimitedTopicTest {

  @Test
  void theUsersAfterTheHashMayJoinAndNoOneElse() {
    assertEquals(List.of("alice", "bob"), List.copyOf(UserLimitedTopic.users("dm:#alice,bob", 16)));
    assertEquals(ALLOWED, UserLimitedTopic.access("dm:#alice,bob", "alice", 16));
    assertEquals(ALLOWED, UserLimitedTopic.access("dm:#alice,bob", "bob", 16));
    assertEquals(NOT_ALLOWED, UserLimitedTopic.access("dm:#alice,bob", "carol", 16));
    // compared exactly: no trimming, case kept, no prefix match
    assertEquals(NOT_ALLOWED, UserLimitedTopic.access("dm:#alice, bob", "bob", 16));
    assertEquals(NOT_ALLOWED, UserLimitedTopic.access("dm:#Alice", "alice", 16));
    assertEquals(NOT_ALLOWED, UserLimitedTopic.access("dm:#alice", "ali", 16));
  }

  @Test
  void aTopicWithoutHashIsNotLimited() {
    assertNull(UserLimitedTopic.users("dm:lobby", 16));
    assertEquals(NOT_LIMITED, UserLimitedTopic.access("dm:lobby", "anyone", 16));
  }

  @Test
  void theListStartsAfterTheFirstHashWhateverPrecedesIt() {
    assertEquals(Set.of("alice", "bob"), UserLimitedTopic.users("dm:chat#alice,bob", 16));
    // a later '#' is part of a user id
    assertEquals(Set.of("a#b"), UserLimitedTopic.users("dm:#a#b", 16));
  }

  @Test
  void anEmptyListOrAnEmptyEntryIsInvalid() {
    assertEquals(INVALID, UserLimitedTopic.access("dm:#", "alice", 16));
    assertEquals(INVALID, UserLimitedTopic.access("dm:#alice,,bob", "alice", 16));
    assertEquals(INVALID, UserLimitedTopic.access("dm:#alice,", "alice", 16));
    assertEquals(INVALID, UserLimitedTopic.access("dm:#,alice", "alice", 16));
    assertThrows(IllegalArgumentException.class, () -> UserLimitedTopic.users("dm:#", 16));
  }

  @Test
  void duplicatesAreOneUserButCountAgainstTheLimit() {
    assertEquals(List.of("alice", "bob"), List.copyOf(UserLimitedTopic.users("dm:#alice,bob,alice", 16)));
    assertEquals(ALLOWED, UserLimitedTopic.access("dm:#alice,alice", "alice", 2));
    assertEquals(INVALID, UserLimitedTopic.access("dm:#alice,alice,alice", "alice", 2));
  }

  @Test
  void moreUsersThanTheLimitIsInvalidForEveryone() {
    assertEquals(ALLOWED, UserLimitedTopic.access("dm:#a,b,c", "c", 3));
    assertEquals(INVALID, UserLimitedTopic.access("dm:#a,b,c,d", "a", 3));
  }
}
