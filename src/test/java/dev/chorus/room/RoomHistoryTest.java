package dev.chorus.room;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The bounded history and the recovery decision, with a clock that is just a number. */
class RoomHistoryTest {
  static final String EPOCH = "e1";
  static final long T0 = 1_000_000;
  /** Every history a test made: closed after it, so that their buffers are released. */
  static final List<RoomHistory> MADE = new java.util.ArrayList<>();

  static RoomHistory kept(RoomHistory h) {
    MADE.add(h);
    return h;
  }

  @AfterEach
  void closeHistories() {
    MADE.forEach(RoomHistory::close);
    MADE.clear();
  }

  static ByteString frame(long seq) {
    return ByteString.fromString("m" + seq);
  }

  /** A history of {@code size} and a TTL of one minute, holding messages 1..last sequenced at T0. */
  static RoomHistory holding(int size, long last) {
    RoomHistory h = kept(new RoomHistory(size, Duration.ofMinutes(1)));
    for (long s = 1; s <= last; s++) h.remember(s, frame(s), T0);
    return h;
  }

  static List<ByteString> frames(long from, long to) {
    return java.util.stream.LongStream.rangeClosed(from, to).mapToObj(RoomHistoryTest::frame).toList();
  }

  @Test
  void keepsTheLatestHistorySizeMessages() {
    RoomHistory h = holding(3, 5);
    assertEquals(3, h.size());
    assertEquals(List.of(3L, 4L, 5L), h.after(0, T0).stream().map(RoomHistory.Entry::seq).toList());
  }

  @Test
  void dropsMessagesOlderThanTheTtl() {
    RoomHistory h = kept(new RoomHistory(10, Duration.ofMinutes(1)));
    h.remember(1, frame(1), T0);
    h.remember(2, frame(2), T0 + 30_000);
    h.trim(T0 + 60_000); // message 1 is exactly a minute old: still kept
    assertEquals(2, h.size());
    h.trim(T0 + 60_001);
    assertEquals(List.of(2L), h.after(0, T0 + 60_001).stream().map(RoomHistory.Entry::seq).toList());
    assertEquals(List.of(), h.after(0, T0 + 90_001));
  }

  @Test
  void rememberingTrimsByAgeToo() {
    RoomHistory h = kept(new RoomHistory(10, Duration.ofSeconds(1)));
    h.remember(1, frame(1), T0);
    h.remember(2, frame(2), T0 + 5_000);
    assertEquals(1, h.size());
  }

  @Test
  void aFreshJoinGetsNoRecoveryField() {
    RoomHistory.Recovery r = holding(10, 3).recover(null, new Position(EPOCH, 3), T0);
    assertNull(r.recovered());
    assertEquals(List.of(), r.replay());
  }

  @Test
  void recoveryReplaysEverythingAfterThePosition() {
    RoomHistory.Recovery r = holding(10, 5).recover(new Position(EPOCH, 2), new Position(EPOCH, 5), T0);
    assertEquals(true, r.recovered());
    assertEquals(frames(3, 5), r.replay());
  }

  @Test
  void aClientThatMissedNothingRecoversWithNothingToReplay() {
    RoomHistory.Recovery r = holding(10, 5).recover(new Position(EPOCH, 5), new Position(EPOCH, 5), T0);
    assertEquals(true, r.recovered());
    assertEquals(List.of(), r.replay());
  }

  @Test
  void aPositionFromAnotherEpochDoesNotRecover() {
    RoomHistory.Recovery r = holding(10, 5).recover(new Position("old", 2), new Position(EPOCH, 5), T0);
    assertEquals(false, r.recovered());
    assertEquals(List.of(), r.replay());
  }

  @Test
  void aPositionAheadOfTheRoomDoesNotRecover() {
    RoomHistory.Recovery r = holding(10, 5).recover(new Position(EPOCH, 6), new Position(EPOCH, 5), T0);
    assertEquals(false, r.recovered());
    assertEquals(List.of(), r.replay());
  }

  @Test
  void aPositionBeforeTheOldestKeptMessageIsAGap() {
    // Keeps 3..5: a client at 1 missed message 2, which is gone.
    RoomHistory.Recovery r = holding(3, 5).recover(new Position(EPOCH, 1), new Position(EPOCH, 5), T0);
    assertEquals(false, r.recovered());
    assertEquals(List.of(), r.replay());
  }

  @Test
  void aPositionJustBeforeTheOldestKeptMessageRecoversAllOfIt() {
    // Keeps 3..5: a client at 2 missed exactly what is kept.
    RoomHistory.Recovery r = holding(3, 5).recover(new Position(EPOCH, 2), new Position(EPOCH, 5), T0);
    assertEquals(true, r.recovered());
    assertEquals(frames(3, 5), r.replay());
  }

  @Test
  void expiredMessagesAreAGapToo() {
    RoomHistory h = holding(10, 5);
    Position now = new Position(EPOCH, 5);
    assertEquals(false, h.recover(new Position(EPOCH, 4), now, T0 + 60_001).recovered());
    // Everything expired: only a client that missed nothing recovers.
    assertEquals(true, h.recover(new Position(EPOCH, 5), now, T0 + 60_001).recovered());
  }

  @Test
  void withHistorySizeZeroOnlyAnUpToDateClientRecovers() {
    RoomHistory h = holding(0, 5);
    assertEquals(0, h.size());
    Position now = new Position(EPOCH, 5);
    RoomHistory.Recovery upToDate = h.recover(new Position(EPOCH, 5), now, T0);
    assertEquals(true, upToDate.recovered());
    assertEquals(List.of(), upToDate.replay());
    assertEquals(false, h.recover(new Position(EPOCH, 4), now, T0).recovered());
  }

  @Test
  void aTopicOfNoNamespaceKeepsNothing() {
    RoomHistory h = RoomHistory.none();
    h.remember(1, frame(1), T0);
    assertEquals(0, h.size());
    assertEquals(List.of(), h.after(0, T0));
  }

  @Test
  void theHistoryQueryReturnsTheKeptMessagesAfterASeq() {
    RoomHistory h = holding(10, 5);
    List<RoomHistory.Entry> after = h.after(3, T0);
    assertEquals(List.of(4L, 5L), after.stream().map(RoomHistory.Entry::seq).toList());
    assertEquals(frames(4, 5), after.stream().map(RoomHistory.Entry::frame).toList());
    assertEquals(5, h.after(0, T0).size());
    assertEquals(List.of(), h.after(5, T0));
    assertEquals(List.of(), h.after(99, T0));
  }

  @Test
  void theHistoryQueryLeavesOutExpiredMessages() {
    RoomHistory h = kept(new RoomHistory(10, Duration.ofMinutes(1)));
    h.remember(1, frame(1), T0);
    h.remember(2, frame(2), T0 + 40_000);
    assertEquals(List.of(2L), h.after(0, T0 + 70_000).stream().map(RoomHistory.Entry::seq).toList());
  }
}
