package dev.chorus.session;

import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.protocol.Frame;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** A session's joins without the session: channels are plain strings here. */
class JoinTableTest {
  static final int MAX_JOINS = 3;
  static final int MAX_EARLY = 2;

  static final long MAX_EARLY_BYTES = 1000;

  final JoinTable<String> table = new JoinTable<>(MAX_JOINS, MAX_EARLY, MAX_EARLY_BYTES);

  static Frame push(String joinRef, String ref, String topic) {
    return new Frame(joinRef, ref, topic, "msg", ByteString.fromString("{}"));
  }

  /** A join started and admitted with {@code channel}. */
  void joined(String topic, String joinRef, String channel) {
    assertTrue(table.start(topic, joinRef));
    assertEquals(List.of(), table.admitted(topic, joinRef, channel));
  }

  @Test
  void aJoinIsUnderWayUntilAdmitted() {
    assertNull(table.replace("room:a"), "nothing to replace");
    assertTrue(table.start("room:a", "1"));
    JoinTable.Join<String> join = table.matching("room:a", "1");
    assertNotNull(join);
    assertEquals("1", join.joinRef);
    assertNull(join.channel());
    assertEquals(List.of(), table.admitted("room:a", "1", "ch1"));
    assertEquals("ch1", table.matching("room:a", "1").channel());
  }

  @Test
  void aRejoinReplacesThePreviousJoin() {
    joined("room:a", "1", "ch1");
    JoinTable.Join<String> previous = table.replace("room:a");
    assertEquals("1", previous.joinRef);
    assertEquals("ch1", previous.channel());
    assertTrue(table.start("room:a", "2"));
    assertNull(table.matching("room:a", "1"), "the old join_ref names no join now");
    assertEquals("2", table.matching("room:a", "2").joinRef);
    assertEquals(1, table.size());
  }

  @Test
  void tooManyJoinsAreRefused() {
    for (int i = 0; i < MAX_JOINS; i++) assertTrue(table.start("room:" + i, "j" + i));
    assertFalse(table.start("room:more", "x"));
    assertNull(table.matching("room:more", null), "nothing was added");
    assertEquals(MAX_JOINS, table.size());
    // A rejoin of a joined topic still fits: the join it replaces makes room.
    assertNotNull(table.replace("room:0"));
    assertTrue(table.start("room:0", "again"));
  }

  @Test
  void aLeaveNamingTheJoinRemovesIt() {
    joined("room:a", "1", "ch1");
    JoinTable.Join<String> left = table.leave("room:a", "1");
    assertEquals("ch1", left.channel());
    assertEquals(0, table.size());
    assertNull(table.leave("room:a", "1"), "left already");
  }

  @Test
  void aLeaveNamingAnotherJoinRefIsNotThisJoins() {
    joined("room:a", "1", "ch1");
    assertNull(table.leave("room:a", "0"));
    assertNull(table.leave("room:b", "1"));
    assertEquals(1, table.size());
  }

  @Test
  void aLeaveWithoutAJoinRefLeavesWhateverJoinTheTopicHas() {
    joined("room:a", "1", "ch1");
    assertEquals("1", table.leave("room:a", null).joinRef);
    assertEquals(0, table.size());
  }

  @Test
  void aLeaveOfAJoinUnderWayReturnsItsHeldPushes() {
    table.start("room:a", "1");
    Frame p = push("1", "5", "room:a");
    assertInstanceOf(JoinTable.Held.class, table.push(p));
    JoinTable.Join<String> left = table.leave("room:a", "1");
    assertNull(left.channel());
    assertEquals(List.of(p), table.takeEarly(left));
    assertNull(table.admitted("room:a", "1", "ch1"), "its channel is to be closed");
  }

  @Test
  void pushesAreHeldBeforeAdmissionUpToTheBoundThenUnmatched() {
    table.start("room:a", "1");
    Frame p1 = push("1", "5", "room:a"), p2 = push(null, "6", "room:a"), p3 = push("1", "7", "room:a");
    assertInstanceOf(JoinTable.Held.class, table.push(p1));
    assertInstanceOf(JoinTable.Held.class, table.push(p2), "no join_ref: any join of the topic");
    assertInstanceOf(JoinTable.Unmatched.class, table.push(p3), "beyond the bound");
    assertEquals(List.of(p1, p2), table.admitted("room:a", "1", "ch1"), "held pushes, in order");
    assertEquals(new JoinTable.Forward<>("ch1"), table.push(p3));
  }

  @Test
  void pushesOfNoJoinOrAnotherJoinRefAreUnmatched() {
    assertInstanceOf(JoinTable.Unmatched.class, table.push(push("1", "5", "room:a")));
    joined("room:a", "1", "ch1");
    assertInstanceOf(JoinTable.Unmatched.class, table.push(push("0", "5", "room:a")));
    assertEquals(new JoinTable.Forward<>("ch1"), table.push(push("1", "5", "room:a")));
    assertEquals(new JoinTable.Forward<>("ch1"), table.push(push(null, "5", "room:a")));
  }

  @Test
  void anAdmissionOfAReplacedJoinIsNotCurrent() {
    table.start("room:a", "1");
    table.replace("room:a");
    table.start("room:a", "2");
    assertNull(table.admitted("room:a", "1", "old"));
    assertEquals(List.of(), table.admitted("room:a", "2", "new"));
    assertNull(table.admitted("room:a", "2", "twice"), "admitted once");
    assertEquals(List.of("new"), table.channels());
  }

  @Test
  void anAdmissionOfALeftJoinIsNotCurrent() {
    table.start("room:a", "1");
    table.leave("room:a", "1");
    assertNull(table.admitted("room:a", "1", "ch1"));
    assertEquals(0, table.size());
  }

  @Test
  void aRefusalReturnsHeldPushesOfTheCurrentJoinOnly() {
    table.start("room:a", "1");
    Frame p = push("1", "5", "room:a");
    table.push(p);
    assertEquals(List.of(), table.refused("room:a", "0"), "another join_ref");
    assertEquals(1, table.size());
    assertEquals(List.of(p), table.refused("room:a", "1"));
    assertEquals(0, table.size());
    assertEquals(List.of(), table.refused("room:a", "1"), "gone already");
  }

  @Test
  void aRefusalOfAReplacedJoinLeavesTheNewOneAlone() {
    table.start("room:a", "1");
    table.replace("room:a");
    table.start("room:a", "2");
    Frame p = push("2", "5", "room:a");
    table.push(p);
    assertEquals(List.of(), table.refused("room:a", "1"));
    assertEquals(List.of(p), table.admitted("room:a", "2", "ch2"));
  }

  @Test
  void aStoppedChannelEndsItsJoinOnlyWhenStillCurrent() {
    joined("room:a", "1", "ch1");
    assertNull(table.channelStopped("room:a", "other"));
    assertNull(table.channelStopped("room:b", "ch1"));
    table.replace("room:a");
    table.start("room:a", "2");
    assertNull(table.channelStopped("room:a", "ch1"), "replaced: not the topic's channel now");
    assertNull(table.channelStopped("room:a", "ch2"), "not admitted yet: no channel to stop");
    table.admitted("room:a", "2", "ch2");
    JoinTable.Join<String> failed = table.channelStopped("room:a", "ch2");
    assertEquals("2", failed.joinRef);
    assertEquals(0, table.size());
  }

  @Test
  void channelsListsAdmittedJoinsOnly() {
    joined("room:a", "1", "ch1");
    table.start("room:b", "2");
    joined("room:c", "3", "ch3");
    assertEquals(List.of("ch1", "ch3"), table.channels().stream().sorted().toList());
    table.leave("room:a", "1");
    assertEquals(List.of("ch3"), table.channels());
  }

  @Test
  void takeEarlyEmptiesTheHeldPushes() {
    table.start("room:a", "1");
    Frame p = push("1", "5", "room:a");
    table.push(p);
    JoinTable.Join<String> join = table.matching("room:a", "1");
    assertEquals(List.of(p), table.takeEarly(join));
    assertEquals(List.of(), table.takeEarly(join));
    // Room to hold again.
    assertInstanceOf(JoinTable.Held.class, table.push(p));
    assertInstanceOf(JoinTable.Held.class, table.push(p));
  }

  /** A push whose whole frame is {@code bytes} bytes (FrameCodec.renderedSize). */
  static Frame pushOf(String topic, String ref, int bytes) {
    Frame empty = new Frame("1", ref, topic, "msg", ByteString.fromString("{\"b\":\"\"}"));
    int pad = bytes - dev.chorus.protocol.FrameCodec.renderedSize(empty);
    return new Frame("1", ref, topic, "msg", ByteString.fromString("{\"b\":\"" + "x".repeat(pad) + "\"}"));
  }

  @Test
  void pushesHeldForAllJoinsUnderWayAreBoundedInBytes() {
    table.start("room:a", "1");
    table.start("room:b", "1");
    assertInstanceOf(JoinTable.Held.class, table.push(pushOf("room:a", "1", 600)));
    assertInstanceOf(JoinTable.Unmatched.class, table.push(pushOf("room:b", "2", 500)), "600 + 500 > 1000, for both joins");
    assertInstanceOf(JoinTable.Held.class, table.push(pushOf("room:b", "3", 400)));
    assertEquals(1000, table.earlyBytes());
    assertEquals(1, table.admitted("room:a", "1", "ch").size());
    assertEquals(400, table.earlyBytes(), "given back with the pushes");
    assertEquals(1, table.refused("room:b", "1").size());
    assertEquals(0, table.earlyBytes());
  }

  @Test
  void aHeldPushKeepsItsPayloadNotTheWholeMessageItCameIn() {
    table.start("room:a", "1");
    ByteString message = ByteString.fromString("[\"1\",\"2\",\"room:a\",\"msg\",{}" + " ".repeat(60_000) + "]");
    Frame sliced = new Frame("1", "2", "room:a", "msg", message.slice(24, 26));
    assertInstanceOf(JoinTable.Held.class, table.push(sliced));
    Frame held = table.admitted("room:a", "1", "ch").get(0);
    assertEquals(sliced, held);
    assertTrue(held.payload().isCompact(), "a copy of the payload alone");
  }
}
