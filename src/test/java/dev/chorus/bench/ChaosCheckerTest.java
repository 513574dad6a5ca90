package dev.chorus.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chorus.bench.ChaosChecker.Findings;
import dev.chorus.bench.ChaosChecker.Position;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChaosCheckerTest {
  static final int ROOM = 3;
  final ChaosChecker checker = new ChaosChecker();

  static Position at(String epoch, long seq) {
    return new Position(epoch, seq);
  }

  /** Client c receives positions from..to of epoch e in room ROOM, each publisher 0's message n = seq. */
  void receive(int c, String e, long from, long to) {
    for (long s = from; s <= to; s++) checker.received(c, 1, ROOM, at(e, s), 0, s);
  }

  @Test
  void everyMessageOnceInOrderIsClean() {
    checker.joined(1, ROOM, null, at("A", 0), null, null);
    checker.joined(2, ROOM, null, at("A", 4), null, null);
    receive(1, "A", 1, 10);
    receive(2, "A", 5, 10);
    for (long n = 1; n <= 10; n++) checker.acked(0, n);
    Findings f = checker.findings();
    assertEquals(0, f.lost());
    assertEquals(0, f.duplicated());
    assertEquals(0, f.outOfOrder());
    assertEquals(0, f.diverged());
    assertEquals(0, f.epochChanges());
    assertEquals(16, f.deliveries());
    assertEquals(10, f.positions());
    assertEquals(10, f.acked());
    assertTrue(checker.caughtUp(1, ROOM));
    assertTrue(checker.caughtUp(2, ROOM));
  }

  @Test
  void aGapUpToWhatOthersSawIsLost() {
    checker.joined(1, ROOM, null, at("A", 0), null, null);
    checker.joined(2, ROOM, null, at("A", 0), null, null);
    receive(1, "A", 1, 10);
    receive(2, "A", 1, 4);
    receive(2, "A", 6, 8); // misses 5, and 9 and 10 which client 1 saw
    assertEquals(3, checker.findings().lost());
    assertFalse(checker.caughtUp(2, ROOM));
  }

  @Test
  void aJoinReplyPositionSaysNothingOfWhatExistsBeforeIt() {
    checker.joined(1, ROOM, null, at("A", 0), null, null);
    receive(1, "A", 1, 3);
    // A restarted room moved its seq on: nothing exists at 4..1 000 003.
    checker.joined(2, ROOM, null, at("A", 1_000_003), null, null);
    assertEquals(0, checker.findings().lost());
    assertTrue(checker.caughtUp(1, ROOM), "no message after 3 exists");
    assertTrue(checker.caughtUp(2, ROOM));
  }

  @Test
  void positionsThatSkipAreOwedOnlyWhereAMessageWasReceived() {
    checker.joined(1, ROOM, null, at("A", 0), null, null);
    checker.joined(2, ROOM, null, at("A", 0), null, null);
    receive(1, "A", 1, 3);
    receive(2, "A", 1, 3);
    receive(1, "A", 1_000_004, 1_000_006);
    checker.received(2, 1, ROOM, at("A", 1_000_004), 0, 1_000_004);
    checker.received(2, 1, ROOM, at("A", 1_000_006), 0, 1_000_006); // misses 1 000 005
    Findings f = checker.findings();
    assertEquals(1, f.lost());
    assertEquals(0, f.outOfOrder());
    assertTrue(f.lostSamples().get(0).contains("missing 1000005 (1)"), f.lostSamples().toString());
  }

  @Test
  void duplicatesOutOfOrderAndDivergenceAreCounted() {
    checker.joined(1, ROOM, null, at("A", 0), null, null);
    checker.joined(2, ROOM, null, at("A", 0), null, null);
    receive(1, "A", 1, 3);
    checker.received(1, 1, ROOM, at("A", 2), 0, 2); // twice
    checker.received(1, 1, ROOM, at("A", 5), 0, 5);
    checker.received(1, 1, ROOM, at("A", 4), 0, 4); // lower than 5, which it had
    checker.received(2, 1, ROOM, at("A", 1), 0, 1);
    checker.received(2, 1, ROOM, at("A", 2), 7, 99); // another message at A:2
    Findings f = checker.findings();
    assertEquals(1, f.duplicatedByClients());
    assertEquals(1, f.outOfOrder());
    assertEquals(1, f.diverged());
  }

  @Test
  void oneMessageAtTwoPositionsIsDuplicated() {
    checker.joined(1, ROOM, null, at("A", 0), null, null);
    checker.received(1, 1, ROOM, at("A", 1), 0, 1);
    checker.received(1, 1, ROOM, at("A", 2), 0, 1); // sequenced twice
    checker.received(1, 1, ROOM, at("A", 3), 0, 1); // and thrice: still one message duplicated
    Findings f = checker.findings();
    assertEquals(1, f.duplicatedPublishes());
    assertEquals(1, f.duplicated());
    assertEquals(0, f.duplicatedByClients());
  }

  @Test
  void aReceivedPositionAtOrBeforeTheJoinIsOutOfOrder() {
    checker.joined(1, ROOM, null, at("A", 5), null, null);
    checker.received(1, 1, ROOM, at("A", 5), 0, 5);
    assertEquals(1, checker.findings().outOfOrder());
  }

  @Test
  void aRecoveryThatReplaysTheGapLosesNothing() {
    checker.joined(1, ROOM, null, at("A", 0), null, null);
    receive(1, "A", 1, 4);
    // reconnects: the room went on to 9 meanwhile; the replay is 5..9, then live
    checker.joined(1, ROOM, at("A", 4), at("A", 9), true, null);
    receive(1, "A", 5, 12);
    checker.joined(2, ROOM, null, at("A", 0), null, null);
    receive(2, "A", 1, 12);
    Findings f = checker.findings();
    assertEquals(0, f.lost());
    assertEquals(0, f.outOfOrder());
    assertEquals(0, f.recoveredFalse());
    assertEquals(1, f.recoveredTrue());
    assertEquals(5, f.replayed());
    assertTrue(checker.caughtUp(1, ROOM));
  }

  @Test
  void recoveredFalseInANewEpochExcusesTheRestOfTheOldOne() {
    checker.joined(1, ROOM, null, at("A", 0), null, null);
    checker.joined(2, ROOM, null, at("A", 0), null, null);
    receive(1, "A", 1, 4);
    receive(2, "A", 1, 7); // client 2 saw A up to 7 before the room restarted
    checker.joined(1, ROOM, at("A", 4), at("B", 2), false, "room restarted");
    receive(1, "B", 3, 5);
    receive(2, "B", 1, 5);
    Findings f = checker.findings();
    assertEquals(0, f.lost(), f.toString());
    assertEquals(3, f.toldGap()); // A:5..7
    assertEquals(1, f.recoveredFalse());
    assertEquals(Map.of("room restarted", 1L), f.recoveredFalseReasons());
    assertEquals(1, f.epochChanges());
    assertEquals(1, f.unannouncedEpochSwitches()); // client 2 went from A to B without a join
    assertTrue(checker.caughtUp(1, ROOM));
    assertTrue(checker.caughtUp(2, ROOM));
  }

  @Test
  void recoveredFalseInTheSameEpochExcusesUpToTheReply() {
    checker.joined(1, ROOM, null, at("A", 0), null, null);
    checker.joined(2, ROOM, null, at("A", 0), null, null);
    receive(2, "A", 1, 152); // what exists: a client that never left saw it all
    receive(1, "A", 1, 4);
    checker.joined(1, ROOM, at("A", 4), at("A", 150), false, "history gone");
    receive(1, "A", 151, 152);
    Findings f = checker.findings();
    assertEquals(0, f.lost());
    assertEquals(146, f.toldGap());
    assertTrue(checker.caughtUp(1, ROOM));
  }

  @Test
  void aMemberOfARoomThatRestartedIsOwedTheNewEpochFromItsStart() {
    checker.joined(1, ROOM, null, at("A", 0), null, null);
    receive(1, "A", 1, 3);
    checker.joined(2, ROOM, null, at("B", 0), null, null);
    receive(2, "B", 1, 6);
    receive(1, "B", 3, 6); // never told: B:1 and B:2 are lost
    Findings f = checker.findings();
    assertEquals(2, f.lost());
    assertEquals(1, f.unannouncedEpochSwitches());
    assertEquals(1, f.epochChanges());
  }

  @Test
  void aRecoveryThatFailsWithoutSayingSoLosesTheGap() {
    checker.joined(1, ROOM, null, at("A", 0), null, null);
    checker.joined(2, ROOM, null, at("A", 0), null, null);
    receive(1, "A", 1, 3);
    receive(2, "A", 1, 6);
    checker.joined(1, ROOM, at("A", 3), at("B", 0), true, null); // new epoch, yet "recovered"
    Findings f = checker.findings();
    assertEquals(3, f.lost()); // A:4..6
    assertEquals(1, f.unannouncedEpochSwitches());
  }

  @Test
  void anAckedPushNobodyReceivedIsLost() {
    checker.joined(1, ROOM, null, at("A", 0), null, null);
    checker.received(1, 1, ROOM, at("A", 1), 0, 1);
    checker.acked(0, 1);
    checker.acked(0, 2);
    checker.acked(0, 3);
    assertEquals(2, checker.ackedNotYetSeen());
    checker.received(1, 1, ROOM, at("A", 2), 0, 3); // an ack may come before its broadcast
    assertEquals(1, checker.ackedNotYetSeen());
    Findings f = checker.findings();
    assertEquals(1, f.ackedUnseen());
    assertEquals(0, f.lostByClients());
    assertEquals(1, f.lost());
  }

  /**
   * Node 3 holds the room's entity and client 2; client 1 is on a survivor. Both get 1..36; 37
   * reaches only client 2 (its node's members) before node 3 is killed, so its publisher is never
   * answered, and client 2's connection ends without a close frame. The entity restarts on a
   * survivor at 36 and moves the seq on by a million; client 2 recovers from 37.
   */
  void aMessageReachesOnlyTheDyingNode(boolean acked, boolean lostConnection, long survivorAlsoGets) {
    checker.joined(1, ROOM, null, at("A", 0), null, null);
    checker.joined(2, ROOM, null, at("A", 0), null, null);
    receive(1, "A", 1, 36);
    receive(2, "A", 1, 37);
    for (long n = 1; n <= 36; n++) checker.acked(0, n);
    if (acked) checker.acked(0, 37);
    if (survivorAlsoGets > 0) {
      checker.received(2, 1, ROOM, at("A", survivorAlsoGets), 0, survivorAlsoGets);
      checker.received(1, 1, ROOM, at("A", survivorAlsoGets), 0, survivorAlsoGets);
    }
    if (lostConnection) checker.connectionLost(2, 1);
    checker.joined(2, ROOM, at("A", Math.max(37, survivorAlsoGets)), at("A", 1_000_036), true, null);
    for (long s = 1_000_037; s <= 1_000_040; s++) {
      checker.received(1, 1, ROOM, at("A", s), 0, s);
      checker.received(2, 2, ROOM, at("A", s), 0, s);
      checker.acked(0, s);
    }
  }

  @Test
  void anUnackedMessageOnlyAKilledNodesClientsReceivedIsGoneWithItsNode() {
    aMessageReachesOnlyTheDyingNode(false, true, 0);
    Findings f = checker.findings();
    assertEquals(0, f.lost(), f.lostSamples().toString());
    assertEquals(1, f.lostWithNode());
  }

  @Test
  void anAckedMessageIsOwedEvenIfOnlyAKilledNodesClientsReceivedIt() {
    aMessageReachesOnlyTheDyingNode(true, false, 0);
    assertEquals(1, checker.findings().lost()); // the publisher's own node has it: its loss is a bug
    checker.connectionLost(2, 1);
    Findings f = checker.findings();
    assertEquals(1, f.lost());
    assertEquals(0, f.lostWithNode());
  }

  @Test
  void aMessageWhoseReceiversKeptTheirConnectionIsOwed() {
    aMessageReachesOnlyTheDyingNode(false, false, 0); // closed with a frame, or cut by the client
    Findings f = checker.findings();
    assertEquals(1, f.lost());
    assertEquals(0, f.lostWithNode());
  }

  @Test
  void aGapBeforeAMessageOfTheSameIncarnationIsLostWhateverHappenedToTheNode() {
    aMessageReachesOnlyTheDyingNode(false, true, 38); // the links keep order: missing 37 but not 38 is a bug
    Findings f = checker.findings();
    assertEquals(1, f.lost());
    assertEquals(0, f.lostWithNode());
  }

  @Test
  void anImplausiblePositionIsCountedNotStored() {
    checker.joined(1, ROOM, null, at("A", 0), null, null);
    checker.received(1, 1, ROOM, at("A", 1L << 41), -1, -1);
    assertEquals(1, checker.findings().implausible());
  }

  @Test
  void positionsParse() {
    assertEquals(at("x:y", 12), Position.parse("x:y:12"));
    assertNull(Position.parse("12"));
    assertNull(Position.parse("e:"));
    assertNull(Position.parse("e:-1"));
    assertNull(Position.parse(null));
  }
}
