package dev.chorus.room;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chorus.metrics.Metrics;
import dev.chorus.protocol.BinaryCodec;
import dev.chorus.protocol.Frame;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.protocol.Topic;
import dev.chorus.transport.ConnectParams;
import dev.chorus.transport.QueueReader;
import dev.chorus.transport.WebSocketFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.testkit.javadsl.TestEntityRef;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link LocalRoom} actor's protocol: joins are admitted through the room entity and
 * answered into the member's own queue before the session hears of them, broadcasts are offered
 * to every member's queue as the same bytes, refused joins are answered and counted out, and a
 * leave (or a failed channel) removes the member before anything else is delivered. The room
 * entity is a probe behind Pekko's {@link TestEntityRef}, the node's LocalRooms, the sessions and
 * their outcome listeners are probes; the members' channels are the real {@link Channel}s the room
 * spawns, and their queues are real outbound queues read back by the test. Presence is off.
 */
class LocalRoomTest {
  private static final Duration WAIT = Duration.ofSeconds(3);
  private static final String TOPIC = "room:lobby";
  private static final ActorTestKit testKit = ActorTestKit.create();

  private Metrics metrics;
  private TestProbe<RoomEntity.Command> entity;
  private TestProbe<LocalRooms.Command> parent;
  private ActorRef<LocalRoom.Command> room;
  private final List<Member> members = new ArrayList<>();

  /** A connection joining the room: its queue, its session and where its join's outcome goes. */
  private record Member(String joinRef, QueueReader out, TestProbe<Object> session, TestProbe<JoinRequest.Outcome> outcomes) {}

  @BeforeEach
  void start() {
    metrics = new Metrics();
    entity = testKit.createTestProbe(RoomEntity.Command.class);
    parent = testKit.createTestProbe(LocalRooms.Command.class);
    room = testKit.spawn(LocalRoom.create(
        TOPIC, TestEntityRef.of(RoomEntity.TYPE_KEY, TOPIC, entity.ref()), parent.ref(), RoomFixtures.SETTINGS,
        RoomFixtures.node(RoomFixtures.SETTINGS, metrics), metrics, RoomFixtures.NAMESPACES.get("room"), null));
  }

  @AfterEach
  void stop() {
    testKit.stop(room, WAIT);
    for (Member m : members) m.out().close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  // ---------------------------------------------------------------- helpers

  private Member member(String joinRef) {
    Member m = new Member(joinRef, QueueReader.create(metrics), testKit.createTestProbe(), testKit.createTestProbe(JoinRequest.Outcome.class));
    members.add(m);
    return m;
  }

  private JoinRequest request(Member m, String payload) {
    Topic t = Topic.parse(TOPIC);
    return new JoinRequest(t, RoomFixtures.NAMESPACES.get(t.namespace()), m.joinRef(), "r" + m.joinRef(),
        ByteString.fromString(payload), ConnectParams.of(Map.of(), null), m.session().ref(),
        m.outcomes().ref(), m.out().queue());
  }

  /** The member asks to join; returns the entity's Admit. */
  private RoomEntity.Admit join(Member m, String payload) {
    room.tell(new LocalRoom.Join(request(m, payload)));
    RoomEntity.Admit admit = entity.expectMessageClass(RoomEntity.Admit.class, WAIT);
    assertEquals(room, admit.localRoom());
    return admit;
  }

  /** The member joins, the entity admits it at ("ep", seq): returns its channel, its ok reply read. */
  private ActorRef<Channel.Command> joined(Member m, long seq) {
    RoomEntity.Admit admit = join(m, "{}");
    room.tell(new LocalRoom.Admitted(admit.joinId(), new Position("ep", seq), null, List.of()));
    JoinRequest.Accepted accepted = m.outcomes().expectMessageClass(JoinRequest.Accepted.class, WAIT);
    QueueReader.Out reply = m.out().next(WAIT);
    assertEquals("ok", reply.status(), reply.toString());
    return accepted.channel();
  }

  /** A broadcast as the entity renders it. */
  private static ByteString broadcast(long seq, String body) {
    return WebSocketFrames.textBytes(
        FrameCodec.encode(null, "ep:" + seq, TOPIC, "shout", ByteString.fromString("{\"body\":\"" + body + "\"}")));
  }

  /**
   * How many members the room holds, by asking it as a starting entity would; also a barrier:
   * once answered, the room has finished with every message sent to it before.
   */
  private int memberCount() {
    TestProbe<RoomEntity.Command> asking = testKit.createTestProbe(RoomEntity.Command.class);
    room.tell(new LocalRoom.Locate(asking.ref(), parent.ref()));
    return asking.expectMessageClass(RoomEntity.Located.class, WAIT).members();
  }

  private void deliver(long seq, ByteString frame) {
    room.tell(new LocalRoom.Deliver(seq, frame, 0));
  }

  // ---------------------------------------------------------------- tests

  @Test
  void admittedJoinQueuesTheOkReplyThenTellsAccepted() {
    Member m = member("3");
    RoomEntity.Admit admit = join(m, "{}");
    assertNull(admit.since(), "a fresh join");
    m.out().expectNothingQueued(); // nothing before the entity answers
    room.tell(new LocalRoom.Admitted(admit.joinId(), new Position("ep", 7), null, List.of()));
    JoinRequest.Accepted accepted = m.outcomes().expectMessageClass(JoinRequest.Accepted.class, WAIT);
    assertEquals(TOPIC, accepted.topic());
    assertEquals("3", accepted.joinRef());
    assertNotNull(accepted.channel());
    // Accepted is told after the reply is queued: it is there already
    QueueReader.Out reply = m.out().next(Duration.ZERO);
    assertEquals("phx_reply", reply.event());
    assertEquals("ok", reply.status());
    assertEquals("3", reply.joinRef());
    assertEquals("r3", reply.ref());
    assertEquals(TOPIC, reply.topic());
    assertEquals("ep", reply.response().path("epoch").asText());
    assertEquals(7, reply.response().path("seq").asLong());
    assertFalse(reply.response().has("recovered"), "a fresh join is told nothing of recovery");
    assertEquals(1, metrics.joins.sum());
    m.out().expectNothingQueued();
  }

  @Test
  void recoveringJoinGetsItsReplayAfterTheReply() {
    Member m = member("1");
    RoomEntity.Admit admit = join(m, "{\"since\":{\"epoch\":\"ep\",\"seq\":1}}");
    assertEquals(new Position("ep", 1), admit.since());
    ByteString two = broadcast(2, "two"), three = broadcast(3, "three");
    room.tell(new LocalRoom.Admitted(admit.joinId(), new Position("ep", 3), true, List.of(two, three)));
    m.outcomes().expectMessageClass(JoinRequest.Accepted.class, WAIT);
    QueueReader.Out reply = m.out().next(WAIT);
    assertEquals("ok", reply.status());
    assertTrue(reply.response().path("recovered").asBoolean());
    assertEquals(3, reply.response().path("seq").asLong());
    assertArrayEquals(two.toArray(), m.out().next(WAIT).wire());
    assertArrayEquals(three.toArray(), m.out().next(WAIT).wire());
    m.out().expectNothingQueued();
  }

  @Test
  void joinWithAnInvalidSinceIsRefusedWithoutAskingTheEntity() {
    Member m = member("1");
    room.tell(new LocalRoom.Join(request(m, "{\"since\":{\"epoch\":\"ep\",\"seq\":-1}}")));
    assertEquals(new JoinRequest.Refused(TOPIC, "1"), m.outcomes().expectMessageClass(JoinRequest.Refused.class, WAIT));
    QueueReader.Out reply = m.out().next(Duration.ZERO);
    assertEquals("error", reply.status());
    assertEquals("invalid since", reply.reason());
    assertEquals(new LocalRooms.MemberGone(TOPIC), parent.expectMessageClass(LocalRooms.MemberGone.class, WAIT));
    entity.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void deliverOffersTheSameBytesToEveryMember() {
    Member a = member("1"), b = member("2");
    joined(a, 0);
    joined(b, 0);
    ByteString frame = broadcast(1, "hello");
    deliver(1, frame);
    QueueReader.Out toA = a.out().next(WAIT), toB = b.out().next(WAIT);
    assertArrayEquals(frame.toArray(), toA.wire());
    assertArrayEquals(toA.wire(), toB.wire());
    assertEquals("ep:1", toA.ref());
    assertEquals("shout", toA.event());
    assertEquals(2, memberCount());
    assertEquals(2, metrics.deliveries.sum()); // counted after the offers: read after the barrier
  }

  /** The buffer that owns {@code b}'s memory, under its duplicates and leak-detection wrappers. */
  private static ByteBuf memory(ByteBuf b) {
    while (b.unwrap() != null) b = b.unwrap();
    return b;
  }

  @Test
  void aBinaryBroadcastIsOneBufferSharedByEveryMember() {
    Member a = member("1"), b = member("2");
    joined(a, 0);
    joined(b, 0);
    ByteString frame = WebSocketFrames.binaryBytes(
        BinaryCodec.encodeBroadcast(TOPIC, "file", ByteString.fromArray(new byte[] {0, (byte) 0xFF, 5})));
    deliver(1, frame);
    assertEquals(2, memberCount()); // a barrier: the broadcast was offered
    ByteBuf toA = a.out().pollBuffer(), toB = b.out().pollBuffer();
    try {
      assertArrayEquals(frame.toArray(), ByteBufUtil.getBytes(toA));
      assertArrayEquals(frame.toArray(), ByteBufUtil.getBytes(toB));
      assertNotSame(toA, toB);
      assertSame(memory(toA), memory(toB), "a retained duplicate of one rendered buffer per member, no copy");
    } finally {
      toA.release();
      toB.release();
    }
    assertEquals(2, metrics.deliveries.sum());
  }

  @Test
  void refusedJoinQueuesTheErrorAndTellsRefused() {
    Member m = member("4");
    RoomEntity.Admit admit = join(m, "{}");
    room.tell(new LocalRoom.Refused(admit.joinId(), "room full"));
    assertEquals(new JoinRequest.Refused(TOPIC, "4"), m.outcomes().expectMessageClass(JoinRequest.Refused.class, WAIT));
    QueueReader.Out reply = m.out().next(Duration.ZERO);
    assertEquals("phx_reply", reply.event());
    assertEquals("error", reply.status());
    assertEquals("room full", reply.reason());
    assertEquals("4", reply.joinRef());
    assertEquals("r4", reply.ref());
    assertEquals(new LocalRooms.MemberGone(TOPIC), parent.expectMessageClass(LocalRooms.MemberGone.class, WAIT));
    assertEquals(1, metrics.joinsRefused.sum());
    // not a member: a delivery does not reach it (a member joined after is the barrier)
    Member other = member("5");
    joined(other, 0);
    deliver(1, broadcast(1, "x"));
    other.out().next(WAIT);
    m.out().expectNothingQueued();
  }

  @Test
  void leaveRemovesTheMemberThenAnswersAndCloses() {
    Member a = member("1"), b = member("2");
    ActorRef<Channel.Command> channelA = joined(a, 0);
    joined(b, 0);
    TestProbe<Object> watcher = testKit.createTestProbe();
    channelA.tell(new Channel.Leave("9")); // as the session passes on the client's phx_leave
    QueueReader.Out reply = a.out().next(WAIT);
    assertEquals("phx_reply", reply.event());
    assertEquals("ok", reply.status());
    assertEquals("9", reply.ref());
    assertEquals("1", reply.joinRef());
    QueueReader.Out close = a.out().next(WAIT);
    assertEquals("phx_close", close.event());
    assertEquals("1", close.joinRef());
    assertEquals(TOPIC, close.topic());
    assertEquals(new RoomEntity.MemberLeft(room), entity.expectMessageClass(RoomEntity.MemberLeft.class, WAIT));
    assertEquals(new LocalRooms.MemberGone(TOPIC), parent.expectMessageClass(LocalRooms.MemberGone.class, WAIT));
    watcher.expectTerminated(channelA, WAIT);
    assertEquals(1, memberCount());
    // later deliveries reach the other member only
    ByteString frame = broadcast(1, "after");
    deliver(1, frame);
    assertArrayEquals(frame.toArray(), b.out().next(WAIT).wire());
    a.out().expectNothingQueued();
    memberCount();
    assertEquals(1, metrics.deliveries.sum());
  }

  @Test
  void leaveOfARejoinOnlyCloses() {
    Member a = member("1");
    ActorRef<Channel.Command> channel = joined(a, 0);
    channel.tell(new Channel.Leave(null));
    QueueReader.Out close = a.out().next(WAIT);
    assertEquals("phx_close", close.event());
    entity.expectMessageClass(RoomEntity.MemberLeft.class, WAIT);
    a.out().expectNothingQueued();
  }

  @Test
  void aLeaveFromAChannelNoLongerAMemberIsIgnored() {
    Member a = member("1");
    ActorRef<Channel.Command> channel = joined(a, 0);
    room.tell(new LocalRoom.Leave(channel, "1", "9"));
    assertEquals("9", a.out().next(WAIT).ref());
    assertEquals("phx_close", a.out().next(WAIT).event());
    entity.expectMessageClass(RoomEntity.MemberLeft.class, WAIT);
    parent.expectMessageClass(LocalRooms.MemberGone.class, WAIT);
    room.tell(new LocalRoom.Leave(channel, "1", "10")); // again: not a member any more
    assertEquals(0, memberCount()); // a barrier: the second Leave has been handled
    entity.expectNoMessage(Duration.ofMillis(10));
    parent.expectNoMessage(Duration.ofMillis(10));
    a.out().expectNothingQueued();
  }

  @Test
  void membersPushesReachTheEntityThroughTheirChannel() {
    Member a = member("1");
    ActorRef<Channel.Command> channel = joined(a, 0);
    channel.tell(new Channel.Push(new Frame("1", "5", TOPIC, "shout", ByteString.fromString("{}"))));
    RoomEntity.Publish p = entity.expectMessageClass(RoomEntity.Publish.class, WAIT);
    assertEquals("5", p.ref());
  }

  @Test
  void aFailedChannelIsDroppedAndTheRoomGoesOn() {
    Member a = member("1"), b = member("2");
    ActorRef<Channel.Command> channelA = joined(a, 0);
    joined(b, 0);
    TestProbe<Object> watcher = testKit.createTestProbe();
    channelA.tell(new Channel.Push(new Frame("1", "5", TOPIC, "__crash__", ByteString.fromString("{}"))));
    watcher.expectTerminated(channelA, WAIT);
    assertEquals(new RoomEntity.MemberLeft(room), entity.expectMessageClass(RoomEntity.MemberLeft.class, WAIT));
    assertEquals(new LocalRooms.MemberGone(TOPIC), parent.expectMessageClass(LocalRooms.MemberGone.class, WAIT));
    assertEquals(1, memberCount());
    ByteString frame = broadcast(1, "still here");
    deliver(1, frame);
    assertArrayEquals(frame.toArray(), b.out().next(WAIT).wire());
    a.out().expectNothingQueued(); // no phx_close: the session answers a failure with phx_error
  }

  @Test
  void locateIsAnsweredWithTheAdmittedMembers() {
    Member a = member("1"), b = member("2");
    joined(a, 0);
    joined(b, 0);
    join(member("3"), "{}"); // pending: not counted here, the entity counts its Admit
    TestProbe<LocalRooms.Command> node = testKit.createTestProbe(LocalRooms.Command.class);
    TestProbe<RoomEntity.Command> starting = testKit.createTestProbe(RoomEntity.Command.class);
    room.tell(new LocalRoom.Locate(starting.ref(), node.ref()));
    assertEquals(new RoomEntity.Located(node.ref(), room, 2, new Position("ep", 0), Long.MAX_VALUE),
        starting.expectMessageClass(RoomEntity.Located.class, WAIT));
  }

  // ---------------------------------------------------------------- the copy of the history, and a restarted entity's catch-up

  /** What the room says a starting entity: its position and the oldest seq of its copy. */
  private RoomEntity.Located located() {
    TestProbe<RoomEntity.Command> asking = testKit.createTestProbe(RoomEntity.Command.class);
    room.tell(new LocalRoom.Locate(asking.ref(), parent.ref()));
    return asking.expectMessageClass(RoomEntity.Located.class, WAIT);
  }

  @Test
  void theRoomKeepsACopyOfWhatItDeliveredForTheEntityThatReplacesADeadOne() {
    Member a = member("1");
    joined(a, 2);
    for (int s = 3; s <= 5; s++) deliver(s, broadcast(s, "m" + s));
    RoomEntity.Located l = located();
    assertEquals(new Position("ep", 5), l.at());
    assertEquals(3, l.oldestSeq());
    TestProbe<RoomEntity.Command> restarted = testKit.createTestProbe(RoomEntity.Command.class);
    room.tell(new LocalRoom.SendTail(restarted.ref()));
    RoomEntity.Tail tail = restarted.expectMessageClass(RoomEntity.Tail.class, WAIT);
    assertEquals(List.of(3L, 4L, 5L), tail.seqs());
    assertEquals(List.of(broadcast(3, "m3"), broadcast(4, "m4"), broadcast(5, "m5")), tail.frames());
    assertFalse(tail.more());
  }

  @Test
  void theCopyIsBoundedLikeTheEntitysHistory() {
    // A room of a namespace that keeps 2 messages (history-size) keeps no more in its copy.
    ActorRef<LocalRoom.Command> defaultRoom = room;
    testKit.stop(defaultRoom, WAIT);
    assertEquals(new RoomEntity.Register(defaultRoom, 0), entity.expectMessageClass(RoomEntity.Register.class, WAIT)); // its last word
    room = testKit.spawn(LocalRoom.create(TOPIC, TestEntityRef.of(RoomEntity.TYPE_KEY, TOPIC, entity.ref()), parent.ref(),
        RoomFixtures.SETTINGS, RoomFixtures.node(RoomFixtures.SETTINGS, metrics), metrics, RoomFixtures.NAMESPACES.get("short"), null));
    joined(member("1"), 0);
    for (int s = 1; s <= 5; s++) deliver(s, broadcast(s, "m" + s));
    RoomEntity.Located l = located();
    assertEquals(new Position("ep", 5), l.at());
    assertEquals(4, l.oldestSeq());
  }

  @Test
  void aCatchUpDeliversWhatTheRoomMissedOnceAndABroadcastSeenAlreadyIsDropped() {
    Member a = member("1");
    joined(a, 0);
    deliver(1, broadcast(1, "m1"));
    deliver(2, broadcast(2, "m2"));
    long next = 4 + RoomEntity.TAKE_UP_GAP + 1; // the restarted entity moved the seq on
    room.tell(new LocalRoom.CatchUp("ep", next - 1, List.of(2L, 3L, 4L),
        List.of(broadcast(2, "m2"), broadcast(3, "m3"), broadcast(4, "m4")), true, true));
    deliver(4, broadcast(4, "m4")); // the dead entity's last broadcast, late: already delivered
    deliver(next, broadcast(next, "m5"));
    for (int s = 1; s <= 4; s++) assertArrayEquals(broadcast(s, "m" + s).toArray(), a.out().next(WAIT).wire(), "seq " + s);
    assertArrayEquals(broadcast(next, "m5").toArray(), a.out().next(WAIT).wire());
    RoomEntity.Located l = located();
    assertEquals(new Position("ep", next), l.at());
    assertEquals(1, l.oldestSeq(), "the copy is whole: the seqs skipped hold no message");
    a.out().expectNothingQueued();
  }

  @Test
  void anIncompleteCatchUpVoidsTheCopy() {
    Member a = member("1");
    joined(a, 0);
    deliver(1, broadcast(1, "m1"));
    room.tell(new LocalRoom.CatchUp("ep", 9, List.of(8L, 9L), List.of(broadcast(8, "m8"), broadcast(9, "m9")), true, false));
    RoomEntity.Located l = located();
    assertEquals(new Position("ep", 9), l.at());
    assertEquals(Long.MAX_VALUE, l.oldestSeq(), "2..7 are missing: the copy must not serve a recovery");
  }

  @Test
  void aCatchUpOfAnotherEpochVoidsTheCopyAndEndsTheJoinsOfTheOldOne() {
    Member a = member("1");
    ActorRef<Channel.Command> channel = joined(a, 0);
    deliver(1, broadcast(1, "m1"));
    a.out().next(WAIT);
    // An entity that started afresh without word from this node: its members of the old epoch
    // may have missed its first messages, so their joins end (the session sends phx_error and
    // phoenix.js rejoins, to be told "recovered": false) instead of going on in the new epoch.
    room.tell(new LocalRoom.CatchUp("fresh", 0, List.of(), List.of(), true, false));
    TestProbe<Object> watcher = testKit.createTestProbe();
    watcher.expectTerminated(channel, WAIT);
    entity.expectMessageClass(RoomEntity.MemberLeft.class, WAIT);
    assertEquals(0, memberCount());
    RoomEntity.Located l = located();
    assertEquals(new Position("fresh", 0), l.at());
    assertEquals(Long.MAX_VALUE, l.oldestSeq());
    deliver(1, broadcast(1, "again"));
    Member b = member("2");
    RoomEntity.Admit admit = join(b, "{}");
    room.tell(new LocalRoom.Admitted(admit.joinId(), new Position("fresh", 1), null, List.of()));
    b.outcomes().expectMessageClass(JoinRequest.Accepted.class, WAIT);
    assertEquals("ok", b.out().next(WAIT).status());
    deliver(2, broadcast(2, "for b"));
    assertArrayEquals(broadcast(2, "for b").toArray(), b.out().next(WAIT).wire(), "a join of the new epoch goes on in it");
    a.out().expectNothingQueued();
  }

  // ---------------------------------------------------------------- pending joins and paced replays

  /** A room of its own with these settings (HOCON under chorus over the fixtures'). */
  private ActorRef<LocalRoom.Command> room(String settings, NodeRooms node) {
    return testKit.spawn(LocalRoom.create(TOPIC, TestEntityRef.of(RoomEntity.TYPE_KEY, TOPIC, entity.ref()), parent.ref(),
        RoomFixtures.settings(settings), node, metrics, RoomFixtures.NAMESPACES.get("room"), null));
  }

  @Test
  void aJoinWhoseEntityStaysSilentIsSentAgainUntilItsDeadline() {
    // retries every 200 ms until the deadline (1 s): about four, fewer if this machine stalls;
    // how many is the timers' business, what is checked is each one and that they stop
    NodeRooms node = RoomFixtures.node(RoomFixtures.SETTINGS, metrics);
    node.unreachableMembers(1); // a node is unreachable: what was sent may be lost with it
    ActorRef<LocalRoom.Command> r = room("room { join-timeout = 1 s, join-retry-interval = 200 ms }", node);
    Member m = member("1");
    r.tell(new LocalRoom.Join(request(m, "{\"since\":{\"epoch\":\"ep\",\"seq\":3}}")));
    RoomEntity.Admit first = entity.expectMessageClass(RoomEntity.Admit.class, WAIT);
    RoomEntity.Admit again = entity.expectMessageClass(RoomEntity.Admit.class, WAIT);
    assertTrue(again.joinId() != first.joinId(), "each attempt has its own id");
    assertEquals(first.since(), again.since());
    // still silent: the join ends at its first attempt's deadline, not one interval later
    assertEquals(new JoinRequest.Refused(TOPIC, "1"), m.outcomes().expectMessageClass(JoinRequest.Refused.class, WAIT));
    assertEquals("join timed out", m.out().next(Duration.ZERO).reason());
    long retries = metrics.joinRetries.sum(); // all counted: the room refused the join after its last retry
    assertTrue(retries >= 1 && retries <= 4, "retries within the deadline: " + retries);
    for (long i = 1; i < retries; i++) { // the others, each sent before the refusal (on their way to the probe)
      assertEquals(first.since(), entity.expectMessageClass(RoomEntity.Admit.class, WAIT).since());
    }
    entity.expectNoMessage(Duration.ofMillis(300));
    testKit.stop(r, WAIT);
  }

  @Test
  void inASettledClusterASilentEntityIsNotAskedTwice() {
    // all members reachable, none lost: a slow answer is a busy entity's, and a retry would add to its work
    ActorRef<LocalRoom.Command> r = room("room { join-timeout = 500 ms, join-retry-interval = 100 ms }",
        RoomFixtures.node(RoomFixtures.SETTINGS, metrics));
    Member m = member("1");
    r.tell(new LocalRoom.Join(request(m, "{}")));
    entity.expectMessageClass(RoomEntity.Admit.class, WAIT);
    r.tell(new LocalRoom.Locate(entity.ref(), parent.ref())); // the entity's first start locates its members
    entity.expectMessageClass(RoomEntity.Located.class, WAIT);
    assertEquals(new JoinRequest.Refused(TOPIC, "1"), m.outcomes().expectMessageClass(JoinRequest.Refused.class, WAIT));
    entity.expectNoMessage(Duration.ofMillis(200));
    assertEquals(0, metrics.joinRetries.sum());
    testKit.stop(r, WAIT);
  }

  @Test
  void aNewIncarnationOfTheEntityGetsThePendingJoinAgainAndTheOldAnswerIsGivenBack() {
    NodeRooms node = RoomFixtures.node(RoomFixtures.SETTINGS, metrics);
    node.memberLost(); // a node was just removed: the room's entity lived there
    ActorRef<LocalRoom.Command> r = room("room.join-retry-interval = 1 h", node);
    Member m = member("1");
    r.tell(new LocalRoom.Join(request(m, "{}")));
    RoomEntity.Admit first = entity.expectMessageClass(RoomEntity.Admit.class, WAIT);
    // the room restarts elsewhere and locates its members: it never got the first attempt
    r.tell(new LocalRoom.Locate(entity.ref(), parent.ref()));
    assertEquals(new RoomEntity.Located(parent.ref(), r, 0), entity.expectMessageClass(RoomEntity.Located.class, WAIT));
    RoomEntity.Admit again = entity.expectMessageClass(RoomEntity.Admit.class, WAIT);
    assertTrue(again.joinId() != first.joinId());
    r.tell(new LocalRoom.Admitted(again.joinId(), new Position("ep2", 0), null, null, List.of(), true));
    m.outcomes().expectMessageClass(JoinRequest.Accepted.class, WAIT);
    assertEquals("ok", m.out().next(WAIT).status());
    // the old incarnation's answer comes after all: the member is given back, not counted twice
    r.tell(new LocalRoom.Admitted(first.joinId(), new Position("ep1", 0), null, null, List.of(), true));
    assertEquals(new RoomEntity.MemberLeft(r), entity.expectMessageClass(RoomEntity.MemberLeft.class, WAIT));
    m.outcomes().expectNoMessage(Duration.ofMillis(50));
    m.out().expectNothingQueued();
    testKit.stop(r, WAIT);
  }

  @Test
  void aJoinTheEntityNeverAnswersTimesOutAndAnAnswerAfterThatIsGivenBack() {
    ActorRef<LocalRoom.Command> quick = room("room.join-timeout = 200 ms", RoomFixtures.node(RoomFixtures.SETTINGS, metrics));
    Member m = member("1");
    quick.tell(new LocalRoom.Join(request(m, "{}")));
    RoomEntity.Admit admit = entity.expectMessageClass(RoomEntity.Admit.class, WAIT);
    // the entity does not answer: within the timeout the client has its error, the parent its count
    assertEquals(new JoinRequest.Refused(TOPIC, "1"), m.outcomes().expectMessageClass(JoinRequest.Refused.class, WAIT));
    QueueReader.Out reply = m.out().next(Duration.ZERO);
    assertEquals("error", reply.status());
    assertEquals("join timed out", reply.reason());
    assertEquals(new LocalRooms.MemberGone(TOPIC), parent.expectMessageClass(LocalRooms.MemberGone.class, WAIT));
    assertEquals(1, metrics.joinsRefusedBy("join timed out"));
    // the entity admitted it after all, in two parts: the room gives the member back once, at the end
    quick.tell(new LocalRoom.Admitted(admit.joinId(), new Position("ep", 0), true, null, List.of(broadcast(1, "a")), false));
    entity.expectNoMessage(Duration.ofMillis(50));
    quick.tell(new LocalRoom.ReplayPage(admit.joinId(), List.of(broadcast(2, "b")), true));
    assertEquals(new RoomEntity.MemberLeft(quick), entity.expectMessageClass(RoomEntity.MemberLeft.class, WAIT));
    m.out().expectNothingQueued();
    m.outcomes().expectNoMessage(Duration.ofMillis(50));
    testKit.stop(quick, WAIT);
  }

  @Test
  void aReplayInPagesIsAdmittedOnceItsLastPageIsHere() {
    Member m = member("1");
    RoomEntity.Admit admit = join(m, "{\"since\":{\"epoch\":\"ep\",\"seq\":0}}");
    ByteString one = broadcast(1, "one"), two = broadcast(2, "two"), three = broadcast(3, "three");
    room.tell(new LocalRoom.Admitted(admit.joinId(), new Position("ep", 3), true, null, List.of(one), false));
    room.tell(new LocalRoom.ReplayPage(admit.joinId(), List.of(two), false));
    assertEquals(0, memberCount(), "not a member before the last page");
    m.out().expectNothingQueued();
    room.tell(new LocalRoom.ReplayPage(admit.joinId(), List.of(three), true));
    m.outcomes().expectMessageClass(JoinRequest.Accepted.class, WAIT);
    assertTrue(m.out().next(WAIT).response().path("recovered").asBoolean());
    for (ByteString f : List.of(one, two, three)) assertArrayEquals(f.toArray(), m.out().next(WAIT).wire());
    m.out().expectNothingQueued();
  }

  /**
   * {@code m} joins {@code r} asking to recover from seq 0, and the entity admits it with
   * {@code frames} missed broadcasts of 10 000 bytes each (in one answer).
   */
  private void admittedWithReplay(ActorRef<LocalRoom.Command> r, Member m, int frames) {
    r.tell(new LocalRoom.Join(request(m, "{\"since\":{\"epoch\":\"ep\",\"seq\":0}}")));
    RoomEntity.Admit admit = entity.expectMessageClass(RoomEntity.Admit.class, WAIT);
    List<ByteString> replay = new ArrayList<>();
    for (int i = 1; i <= frames; i++) replay.add(broadcast(i, "r".repeat(10_000)));
    r.tell(new LocalRoom.Admitted(admit.joinId(), new Position("ep", frames), true, replay));
  }

  @Test
  void aReplayLargerThanTheWindowGoesAtTheClientsPaceWithLiveMessagesBehindIt() {
    NodeRooms node = RoomFixtures.node(RoomFixtures.SETTINGS, metrics);
    ActorRef<LocalRoom.Command> paced = room("room.replay-window = 64 KiB", node);
    Member m = member("1");
    admittedWithReplay(paced, m, 40); // 400 KB
    m.outcomes().expectMessageClass(JoinRequest.Accepted.class, WAIT);
    ByteString live = broadcast(41, "live");
    paced.tell(new LocalRoom.Deliver(41, live, 0));
    TestProbe<RoomEntity.Command> asking = testKit.createTestProbe(RoomEntity.Command.class);
    paced.tell(new LocalRoom.Locate(asking.ref(), parent.ref()));
    asking.expectMessageClass(RoomEntity.Located.class, WAIT); // a barrier: the Deliver is handled
    long queued = m.out().queue().queuedBytes();
    assertTrue(queued <= 64 * 1024 + 11_000, "the queue holds about the window, not the replay: " + queued);
    assertTrue(node.replayBytes() > 0, "the rest waits in the room, counted in the node's budget");
    assertEquals("ok", m.out().next(WAIT).status());
    for (int i = 1; i <= 40; i++) assertEquals("ep:" + i, m.out().next(WAIT).ref(), "the replay in order");
    assertArrayEquals(live.toArray(), m.out().next(WAIT).wire(), "then the live message held behind it");
    m.out().expectNothingQueued();
    assertEquals(0, node.replayBytes(), "all given back");
    assertEquals(0, metrics.replayBytesHeld.get());
    assertEquals(null, m.out().closeRequest(), "never a slow consumer");
    testKit.stop(paced, WAIT);
  }

  @Test
  void aRecoveryTheNodeCannotHoldIsAnsweredRecoveredFalseNodeBusy() {
    RoomSettings settings = RoomFixtures.settings("room { replay-window = 16 KiB, node-replay-max-bytes = 100 KiB }");
    NodeRooms node = RoomFixtures.node(settings, metrics);
    ActorRef<LocalRoom.Command> busy = room("room { replay-window = 16 KiB, node-replay-max-bytes = 100 KiB }", node);
    Member m = member("1");
    admittedWithReplay(busy, m, 20); // 200 KB > 100 KiB
    m.outcomes().expectMessageClass(JoinRequest.Accepted.class, WAIT);
    QueueReader.Out reply = m.out().next(WAIT);
    assertEquals("ok", reply.status());
    assertFalse(reply.response().path("recovered").asBoolean(true));
    assertEquals("node busy", reply.response().path("reason").asText());
    assertEquals(20, reply.response().path("seq").asLong(), "the client goes on from here");
    assertEquals(1, metrics.recoveriesRefusedBy("node busy"));
    m.out().expectNothingQueued();
    assertEquals(0, node.replayBytes());
    testKit.stop(busy, WAIT);
  }

  @Test
  void aRecoveringClientThatReadsNothingWhileLiveTrafficPilesUpIsASlowConsumer() {
    NodeRooms node = RoomFixtures.node(RoomFixtures.SETTINGS, metrics);
    ActorRef<LocalRoom.Command> paced = room("room.replay-window = 64 KiB", node);
    Member m = member("1");
    admittedWithReplay(paced, m, 20);
    m.outcomes().expectMessageClass(JoinRequest.Accepted.class, WAIT);
    // the client reads nothing: live messages wait behind the replay, up to the queue's 1 MiB
    for (int i = 21; i <= 130; i++) paced.tell(new LocalRoom.Deliver(i, broadcast(i, "l".repeat(10_000)), 0));
    TestProbe<RoomEntity.Command> asking = testKit.createTestProbe(RoomEntity.Command.class);
    paced.tell(new LocalRoom.Locate(asking.ref(), parent.ref()));
    asking.expectMessageClass(RoomEntity.Located.class, WAIT); // a barrier: every Deliver handled, nothing read
    assertEquals(dev.chorus.transport.CloseReason.SLOW_CONSUMER, m.out().closeRequest());
    assertEquals(1, metrics.slowConsumerCloses.sum());
    assertEquals(1, metrics.slowConsumerClosesBy("queue_full"), "counted by reason, as /metrics exports it");
    assertEquals(0, node.replayBytes(), "what waited is freed");
    testKit.stop(paced, WAIT);
  }
}
