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

  // ---------------------------------------------------------------- bytes: per room and per node

  /** A frame of exactly {@code bytes} bytes, naming its seq. */
  static ByteString frame(long seq, int bytes) {
    String head = "m" + seq + ":";
    return ByteString.fromString(head + "x".repeat(bytes - head.length()));
  }

  static RoomHistory inBudget(HistoryBudget budget, long maxBytes) {
    return kept(new RoomHistory(1000, Duration.ofMinutes(1), maxBytes, budget));
  }

  static List<Long> seqs(RoomHistory h) {
    return h.after(0, T0).stream().map(RoomHistory.Entry::seq).toList();
  }

  @Test
  void aRoomKeepsAtMostHistoryMaxBytesDroppingTheOldestFirst() {
    dev.chorus.metrics.Metrics metrics = new dev.chorus.metrics.Metrics();
    RoomHistory h = inBudget(new HistoryBudget(Long.MAX_VALUE, metrics), 1000);
    for (long s = 1; s <= 10; s++) h.remember(s, frame(s, 300), T0);
    assertEquals(List.of(8L, 9L, 10L), seqs(h), "3 x 300 bytes fit in 1000, a fourth does not");
    assertEquals(900, h.bytes());
    assertEquals(7, metrics.historyEvictedBy(RoomHistory.ROOM_BYTES));
    assertEquals(900, metrics.historyBytes.get());
    // a gap that bytes made is a gap: recovery says so
    RoomHistory.Recovery r = h.recover(new Position(EPOCH, 5), new Position(EPOCH, 10), T0);
    assertEquals(false, r.recovered());
    assertEquals(RoomHistory.GONE, r.reason());
    assertEquals(3, h.recover(new Position(EPOCH, 7), new Position(EPOCH, 10), T0).replay().size());
  }

  @Test
  void overTheNodeBudgetTheOldestMessagesOfTheBiggestHistoriesGoFirst() {
    dev.chorus.metrics.Metrics metrics = new dev.chorus.metrics.Metrics();
    HistoryBudget budget = new HistoryBudget(10_000, metrics);
    RoomHistory small = inBudget(budget, Long.MAX_VALUE), big = inBudget(budget, Long.MAX_VALUE);
    for (long s = 1; s <= 5; s++) small.remember(s, frame(s, 200), T0); // 1 000 bytes
    for (long s = 1; s <= 8; s++) big.remember(s, frame(s, 1000), T0); // 8 000 bytes: 9 000 in all
    assertEquals(9_000, budget.bytes());
    big.remember(9, frame(9, 1000), T0); // 10 000: still fits
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), seqs(big));
    big.remember(10, frame(10, 1000), T0); // 11 000: the biggest history gives up its oldest
    assertEquals(List.of(2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), seqs(big));
    small.remember(6, frame(6, 600), T0); // the small one grows, the big one pays
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), seqs(small));
    assertEquals(List.of(3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), seqs(big));
    assertTrue(budget.bytes() <= 10_000, "within the budget: " + budget.bytes());
    assertEquals(2, metrics.historyEvictedBy(RoomHistory.NODE_BYTES));
    assertEquals(budget.bytes(), metrics.historyBytes.get());
    // equal sizes: both give up their oldest in turn, never one history alone
    HistoryBudget shared = new HistoryBudget(4_000, null);
    RoomHistory a = inBudget(shared, Long.MAX_VALUE), b = inBudget(shared, Long.MAX_VALUE);
    for (long s = 1; s <= 4; s++) {
      a.remember(s, frame(s, 500), T0);
      b.remember(s, frame(s, 500), T0);
    }
    for (long s = 5; s <= 8; s++) {
      a.remember(s, frame(s, 500), T0);
      b.remember(s, frame(s, 500), T0);
    }
    assertEquals(List.of(5L, 6L, 7L, 8L), seqs(a));
    assertEquals(List.of(5L, 6L, 7L, 8L), seqs(b));
  }

  @Test
  void closingAHistoryGivesItsBytesBackToTheNode() {
    HistoryBudget budget = new HistoryBudget(1_000_000, null);
    RoomHistory a = inBudget(budget, Long.MAX_VALUE), b = inBudget(budget, Long.MAX_VALUE);
    for (long s = 1; s <= 10; s++) {
      a.remember(s, frame(s, 100), T0);
      b.remember(s, frame(s, 100), T0);
    }
    assertEquals(2_000, budget.bytes());
    a.close();
    assertEquals(1_000, budget.bytes());
    a.remember(11, frame(11, 100), T0); // a closed history keeps nothing
    assertEquals(0, a.size());
    assertEquals(1_000, budget.bytes());
  }

  @Test
  void historyReadsComeInPagesOfAtMostTheAskedBytes() {
    RoomHistory h = inBudget(HistoryBudget.unbounded(), Long.MAX_VALUE);
    for (long s = 1; s <= 10; s++) h.remember(s, frame(s, 100), T0);
    RoomHistory.Page first = h.after(2, T0, 350);
    assertEquals(List.of(3L, 4L, 5L), first.entries().stream().map(RoomHistory.Entry::seq).toList());
    assertTrue(first.more());
    RoomHistory.Page last = h.after(8, T0, 350);
    assertEquals(List.of(9L, 10L), last.entries().stream().map(RoomHistory.Entry::seq).toList());
    assertFalse(last.more());
    // a frame larger than a page still comes, alone
    RoomHistory.Page one = h.after(0, T0, 10);
    assertEquals(1, one.entries().size());
    assertTrue(one.more());
  }

  @Test
  void entitiesOnManyThreadsStayWithinTheNodeBudgetAndLeakNothing() throws Exception {
    dev.chorus.metrics.Metrics metrics = new dev.chorus.metrics.Metrics();
    HistoryBudget budget = new HistoryBudget(50_000, metrics);
    int threads = 4;
    List<RoomHistory> histories = new java.util.ArrayList<>();
    for (int i = 0; i < threads; i++) histories.add(inBudget(budget, 20_000));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
      java.util.concurrent.atomic.AtomicLong over = new java.util.concurrent.atomic.AtomicLong();
      for (RoomHistory h : histories) {
        done.add(pool.submit(() -> {
          for (long s = 1; s <= 5_000; s++) {
            h.remember(s, frame(s, 100 + (int) (s % 7) * 100), T0);
            if (s % 50 == 0) h.recover(new Position(EPOCH, s - 10), new Position(EPOCH, s), T0);
            if (budget.bytes() > 50_000) over.incrementAndGet();
          }
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : done) f.get();
      assertEquals(0, over.get(), "the budget was never seen exceeded");
    } finally {
      pool.shutdown();
    }
    long sum = 0;
    for (RoomHistory h : histories) {
      assertTrue(h.bytes() <= 20_000);
      sum += h.bytes();
    }
    assertEquals(sum, budget.bytes(), "the budget's count is the sum of its histories'");
    assertEquals(sum, metrics.historyBytes.get());
    assertTrue(metrics.historyEvictedBy(RoomHistory.NODE_BYTES) > 0);
    for (RoomHistory h : histories) h.close(); // and @AfterEach closes them again: idempotent
    assertEquals(0, budget.bytes());
  }
}
