package dev.chorus.presence;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The room-side presence state machine: list or count, what members and joiners are told. */
class PresenceViewTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static PresenceEntry entry(String key, String ref) {
    return PresenceDiffTest.entry(key, ref);
  }

  static PresenceDiff joins(PresenceEntry... entries) {
    return new PresenceDiff(List.of(entries), List.of());
  }

  static PresenceDiff leaves(PresenceEntry... entries) {
    return new PresenceDiff(List.of(), List.of(entries));
  }

  static JsonNode payload(PresenceView.Tell tell) throws Exception {
    return JSON.readTree(tell.payload().utf8String());
  }

  static void assertCount(PresenceView.Tell tell, int users, int connections) throws Exception {
    assertNotNull(tell);
    assertEquals(PresenceFrames.COUNT, tell.event());
    assertEquals(JSON.readTree("{\"users\":" + users + ",\"connections\":" + connections + "}"), payload(tell));
  }

  /** A state payload's keys and, per key, how many metas. */
  static void assertState(PresenceView.Tell tell, String expectedJsonOfMetaCounts) throws Exception {
    assertNotNull(tell);
    assertEquals(PresenceFrames.STATE, tell.event());
    var counts = JSON.createObjectNode();
    payload(tell).fields().forEachRemaining(e -> counts.put(e.getKey(), e.getValue().path("metas").size()));
    assertEquals(JSON.readTree(expectedJsonOfMetaCounts), counts);
  }

  final PresenceEntry ada = entry("ada", "r1"), bob = entry("bob", "r2"), cy = entry("cy", "r3"), dee = entry("dee", "r4");

  @Test
  void underTheLimitMembersGetTheDiff() throws Exception {
    PresenceView view = new PresenceView(2);
    PresenceDiff diff = joins(ada, bob);
    PresenceView.Tell tell = view.onChanged(diff);
    assertEquals(PresenceFrames.DIFF, tell.event());
    assertEquals(JSON.readTree(PresenceFrames.diff(diff).utf8String()), payload(tell));
    assertFalse(view.counting());
  }

  @Test
  void theFirstJoinerGetsAStateOfItselfAlone() throws Exception {
    assertState(new PresenceView(2).forJoin(ada), "{\"ada\":1}");
  }

  @Test
  void aJoinerGetsEverybodyPresentAndItself() throws Exception {
    PresenceView view = new PresenceView(5);
    view.onChanged(joins(ada, bob));
    assertState(view.forJoin(cy), "{\"ada\":1,\"bob\":1,\"cy\":1}");
    assertState(view.forJoin(dee), "{\"ada\":1,\"bob\":1,\"dee\":1}"); // the cached state, not cy's
    view.onChanged(leaves(ada));
    assertState(view.forJoin(cy), "{\"bob\":1,\"cy\":1}"); // the cache was dropped with the change
  }

  @Test
  void aSecondTabGetsItsKeyWithBothMetas() throws Exception {
    PresenceView view = new PresenceView(5);
    view.onChanged(joins(ada, bob));
    PresenceView.Tell tell = view.forJoin(entry("bob", "r9"));
    assertState(tell, "{\"ada\":1,\"bob\":2}");
    assertEquals("r9", payload(tell).path("bob").path("metas").path(1).path("phx_ref").asText());
  }

  @Test
  void aSecondTabDoesNotCountAsAnotherUser() throws Exception {
    PresenceView view = new PresenceView(2);
    view.onChanged(joins(ada, bob));
    // Two users, three connections: still a list, so members get the diff.
    PresenceView.Tell tell = view.onChanged(joins(entry("bob", "r9")));
    assertEquals(PresenceFrames.DIFF, tell.event());
    assertFalse(view.counting());
  }

  @Test
  void aboveTheLimitMembersGetACount() throws Exception {
    PresenceView view = new PresenceView(2);
    view.onChanged(joins(ada, bob));
    assertCount(view.onChanged(joins(cy)), 3, 3);
    assertTrue(view.counting());
    assertCount(view.onChanged(joins(dee)), 4, 4);
  }

  @Test
  void countsAreSentOnlyWhenTheyChange() throws Exception {
    PresenceView view = new PresenceView(2);
    assertCount(view.onChanged(joins(ada, bob, cy)), 3, 3);
    // One user leaves as another joins: same users, same connections.
    assertNull(view.onChanged(new PresenceDiff(List.of(dee), List.of(ada))));
    // An entry changed in place (its meta): a leave and a join of the same phx_ref.
    PresenceEntry bobAway = new PresenceEntry(bob.node(), bob.ref(), "bob", "{\"phx_ref\":\"r2\",\"status\":\"away\"}");
    assertNull(view.onChanged(new PresenceDiff(List.of(bobAway), List.of(bob))));
    // A second tab: the same users, one more connection.
    assertCount(view.onChanged(joins(entry("cy", "r9"))), 3, 4);
  }

  @Test
  void backUnderTheLimitMembersGetTheFullState() throws Exception {
    PresenceView view = new PresenceView(2);
    view.onChanged(joins(ada, bob, cy));
    // Members hold only a count: a diff would not do.
    assertState(view.onChanged(leaves(ada)), "{\"bob\":1,\"cy\":1}");
    assertFalse(view.counting());
    // Then diffs again.
    assertEquals(PresenceFrames.DIFF, view.onChanged(leaves(bob)).event());
  }

  @Test
  void countingAgainAfterAListSendsTheCountEvenIfItIsTheSameAsBefore() throws Exception {
    PresenceView view = new PresenceView(2);
    assertCount(view.onChanged(joins(ada, bob, cy)), 3, 3);
    view.onChanged(leaves(cy));
    assertCount(view.onChanged(joins(cy)), 3, 3);
  }

  @Test
  void aJoinerAboveTheLimitGetsACountThatIncludesItself() throws Exception {
    PresenceView view = new PresenceView(2);
    view.onChanged(joins(ada, bob, cy));
    assertCount(view.forJoin(dee), 4, 4);
    // A second tab of a present user: one more connection, no more users.
    assertCount(view.forJoin(entry("ada", "r9")), 3, 4);
  }

  @Test
  void aJoinerThatTakesTheTopicOverTheLimitGetsACount() throws Exception {
    PresenceView view = new PresenceView(2);
    view.onChanged(joins(ada, bob));
    assertCount(view.forJoin(cy), 3, 3);
    assertFalse(view.counting(), "members still hold the list until the replica's diff comes");
    assertState(view.forJoin(entry("bob", "r9")), "{\"ada\":1,\"bob\":2}");
  }

  @Test
  void aListLimitOfZeroAlwaysCounts() throws Exception {
    PresenceView view = new PresenceView(0);
    assertCount(view.forJoin(ada), 1, 1);
    assertCount(view.onChanged(joins(ada)), 1, 1);
    assertState(view.onChanged(leaves(ada)), "{}"); // nobody left: zero users is under any limit
  }
}
