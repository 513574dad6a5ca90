package dev.chorus.presence;

import static dev.chorus.presence.PresenceDiffTest.entry;
import static dev.chorus.presence.PresenceDiffTest.state;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The replica's per-topic batching: what a room is told at each interval's end. */
class TopicChangesTest {
  final PresenceEntry ada = entry("ada", "r1"), bob = entry("bob", "r2"), carol = entry("carol", "r3");

  @Test
  void aWatcherIsToldEverybodyPresentAsJoins() {
    TopicChanges t = new TopicChanges(state(ada, bob));
    assertEquals(new PresenceDiff(List.of(ada, bob), List.of()), t.initial());
    assertNull(t.flush(), "what it was told at once is not told again");
    assertTrue(new TopicChanges(state()).initial().isEmpty());
  }

  @Test
  void changesOfAnIntervalGoOutAsOneDiff() {
    TopicChanges t = new TopicChanges(state(ada));
    t.refresh(state(ada, bob));
    t.refresh(state(bob, carol));
    assertEquals(new PresenceDiff(List.of(bob, carol), List.of(ada)), t.flush());
    assertNull(t.flush(), "nothing changed since");
  }

  @Test
  void aJoinAndItsLeaveInOneIntervalSendNothing() {
    TopicChanges t = new TopicChanges(state(ada));
    t.refresh(state(ada, carol));
    t.refresh(state(ada));
    assertNull(t.flush());
    // And the next change is measured from what the room was told.
    t.refresh(state(ada, bob));
    assertEquals(new PresenceDiff(List.of(bob), List.of()), t.flush());
  }

  @Test
  void aLeaveAndARejoinOfAnotherTabAreBothTold() {
    PresenceEntry bobTab2 = entry("bob", "r9");
    TopicChanges t = new TopicChanges(state(ada, bob));
    t.refresh(state(ada, bob, bobTab2));
    assertEquals(new PresenceDiff(List.of(bobTab2), List.of()), t.flush());
    t.refresh(state(ada, bobTab2));
    assertEquals(new PresenceDiff(List.of(), List.of(bob)), t.flush());
  }

  @Test
  void theSameEntriesAgainAreNoChange() {
    TopicChanges t = new TopicChanges(state(ada));
    t.refresh(state(ada));
    assertNull(t.flush());
  }

  @Test
  void changesAcrossIntervalsAreToldInTurn() {
    TopicChanges t = new TopicChanges(state());
    t.refresh(state(ada));
    assertEquals(new PresenceDiff(List.of(ada), List.of()), t.flush());
    t.refresh(state());
    assertEquals(new PresenceDiff(List.of(), List.of(ada)), t.flush());
  }
}
