package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chorus.metrics.Metrics;
import org.junit.jupiter.api.Test;

/**
 * The node's count of joins in progress, without a node: connections' shares add up, the node
 * is full at the bound, and a join is counted out once whatever happens to it (answered, its
 * connection ended, or both), so the count never goes below zero.
 */
class JoinsInProgressTest {
  private final Metrics metrics = new Metrics();

  @Test
  void theConnectionsJoinsAddUpAndFillTheBound() {
    JoinsInProgress joins = new JoinsInProgress(3, metrics);
    JoinsInProgress.OfConnection a = joins.forConnection(), b = joins.forConnection();
    a.started();
    b.started();
    assertEquals(2, joins.count());
    assertFalse(joins.full());
    b.started();
    assertTrue(joins.full(), "at the bound");
    a.started(); // a connection already open still joins: the count passes the bound
    assertEquals(4, joins.count());
    assertEquals(4, metrics.joinsInProgress.get(), "the gauge follows the count");
    a.ended();
    assertTrue(joins.full());
    b.ended();
    assertFalse(joins.full(), "under the bound again");
    assertEquals(2, joins.count());
    assertEquals(1, a.pending());
    assertEquals(1, b.pending());
  }

  @Test
  void aConnectionTakesOutOnlyWhatItPutIn() {
    JoinsInProgress joins = new JoinsInProgress(10, metrics);
    JoinsInProgress.OfConnection a = joins.forConnection(), b = joins.forConnection();
    a.ended(); // nothing in progress: nothing to take out
    assertEquals(0, joins.count());
    a.started();
    b.started();
    b.started();
    a.ended();
    a.ended(); // one more answer than joins: the count does not go below what others hold
    assertEquals(2, joins.count());
    assertEquals(0, a.pending());
    b.connectionEnded();
    assertEquals(0, joins.count());
    assertEquals(0, metrics.joinsInProgress.get());
  }

  @Test
  void aJoinAnsweredAfterItsConnectionEndedIsNotCountedOutTwice() {
    JoinsInProgress joins = new JoinsInProgress(10, metrics);
    JoinsInProgress.OfConnection a = joins.forConnection(), other = joins.forConnection();
    other.started();
    a.started();
    a.started();
    a.ended();
    a.connectionEnded(); // the one still unanswered
    assertEquals(1, joins.count());
    a.ended(); // its answer, late
    a.connectionEnded();
    assertEquals(1, joins.count(), "only the other connection's join is left");
    assertEquals(0, a.pending());
  }

  @Test
  void zeroMeansNoBound() {
    JoinsInProgress joins = new JoinsInProgress(0, metrics);
    JoinsInProgress.OfConnection a = joins.forConnection();
    for (int i = 0; i < 10_000; i++) a.started();
    assertFalse(joins.full());
    assertEquals(10_000, joins.count(), "counted all the same");
  }

  @Test
  void aNegativeBoundIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new JoinsInProgress(-1, metrics));
  }
}
