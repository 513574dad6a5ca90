package dev.chorus.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chorus.metrics.Metrics;
import dev.chorus.protocol.Frame;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.transport.WebSocketFrames;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link RoomEntity} actor's protocol, spawned directly (not through sharding) with probes as
 * the local rooms: admission at the current position, the member cap, unknown namespaces,
 * sequencing and delivery of publishes to every registered local room, recovery from history
 * (same epoch, another epoch, too old) and the history API. The locating phase is covered too:
 * in the shared test system no LocalRooms is registered with the receptionist, so an entity is
 * ready at once; two tests register a probe as a node's LocalRooms in a system of their own.
 */
class RoomEntityTest {
  private static final Duration WAIT = Duration.ofSeconds(3);
  private static final ActorTestKit testKit = ActorTestKit.create();

  private Metrics metrics;

  @BeforeEach
  void start() {
    metrics = new Metrics();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  // ---------------------------------------------------------------- helpers

  private ActorRef<RoomEntity.Command> entity(ActorTestKit kit, String topic) {
    return kit.spawn(RoomEntity.create(topic, null, RoomFixtures.NAMESPACES, RoomFixtures.SETTINGS,
        RoomFixtures.node(RoomFixtures.SETTINGS, metrics), metrics));
  }

  private ActorRef<RoomEntity.Command> entity(String topic) {
    return entity(testKit, topic);
  }

  private TestProbe<LocalRoom.Command> localRoom() {
    return testKit.createTestProbe(LocalRoom.Command.class);
  }

  /** Registers {@code node} with {@code kit}'s receptionist as a node's LocalRooms, and waits until it is. */
  private static void registerAsLocalRooms(ActorTestKit kit, TestProbe<LocalRooms.Command> node) {
    TestProbe<Receptionist.Registered> registered = kit.createTestProbe(Receptionist.Registered.class);
    kit.system().receptionist().tell(Receptionist.register(LocalRooms.SERVICE_KEY, node.ref(), registered.ref()));
    registered.expectMessageClass(Receptionist.Registered.class, WAIT);
  }

  /** Admits one member of {@code room} (a fresh join) and returns where the topic stands. */
  private static Position admit(ActorRef<RoomEntity.Command> entity, TestProbe<LocalRoom.Command> room, long joinId) {
    entity.tell(new RoomEntity.Admit(room.ref(), joinId, null));
    LocalRoom.Admitted admitted = room.expectMessageClass(LocalRoom.Admitted.class, WAIT);
    assertEquals(joinId, admitted.joinId());
    return admitted.at();
  }

  private static RoomEntity.Published publish(ActorRef<RoomEntity.Command> entity, TestProbe<RoomEntity.Published> replies,
      String ref, String body) {
    entity.tell(new RoomEntity.Publish("shout", ByteString.fromString("{\"body\":\"" + body + "\"}"), ref, replies.ref()));
    return replies.expectMessageClass(RoomEntity.Published.class, WAIT);
  }

  /** The Phoenix message in a rendered broadcast frame. */
  private static Frame decode(ByteString wsFrame) throws Exception {
    return FrameCodec.decode(WebSocketFrames.textPayload(wsFrame));
  }

  // ---------------------------------------------------------------- tests

  @Test
  void admitIsAnsweredWithThePositionAtSeqZero() {
    ActorRef<RoomEntity.Command> entity = entity("room:a");
    TestProbe<LocalRoom.Command> room = localRoom();
    entity.tell(new RoomEntity.Admit(room.ref(), 42, null));
    LocalRoom.Admitted admitted = room.expectMessageClass(LocalRoom.Admitted.class, WAIT);
    assertEquals(42, admitted.joinId());
    assertEquals(0, admitted.at().seq());
    assertFalse(admitted.at().epoch().isEmpty());
    assertNull(admitted.recovered(), "a fresh join is told nothing of recovery");
    assertEquals(List.of(), admitted.replay());
    // the epoch stays while the entity lives
    assertEquals(admitted.at(), admit(entity, room, 43));
  }

  @Test
  void publishesAreSequencedAndDeliveredToEveryLocalRoom() throws Exception {
    ActorRef<RoomEntity.Command> entity = entity("room:a");
    TestProbe<LocalRoom.Command> roomA = localRoom(), roomB = localRoom(), roomC = localRoom();
    String epoch = admit(entity, roomA, 1).epoch();
    entity.tell(new RoomEntity.Register(roomB.ref(), 3)); // a node that registered its members
    entity.tell(new RoomEntity.Register(roomC.ref(), 0)); // and one that has none
    TestProbe<RoomEntity.Published> replies = testKit.createTestProbe(RoomEntity.Published.class);
    for (int i = 1; i <= 3; i++) {
      assertEquals(new RoomEntity.Published("p" + i, epoch, i), publish(entity, replies, "p" + i, "m" + i));
    }
    for (TestProbe<LocalRoom.Command> room : List.of(roomA, roomB)) {
      for (int i = 1; i <= 3; i++) {
        LocalRoom.Deliver d = room.expectMessageClass(LocalRoom.Deliver.class, WAIT);
        assertEquals(i, d.seq());
        Frame f = decode(d.frame());
        assertNull(f.joinRef());
        assertEquals(epoch + ":" + i, f.ref());
        assertEquals("room:a", f.topic());
        assertEquals("shout", f.event());
        assertEquals("{\"body\":\"m" + i + "\"}", f.payload().utf8String());
        assertEquals(WebSocketFrames.textBytes(FrameCodec.encode(null, epoch + ":" + i, "room:a", "shout",
            ByteString.fromString("{\"body\":\"m" + i + "\"}"))), d.frame(), "rendered once, as the frame every member gets");
      }
    }
    roomC.expectNoMessage(Duration.ofMillis(50));
    assertEquals(3, metrics.publishes.sum());
    // a publish without a ref is answered too (the channel then replies nothing)
    assertEquals(new RoomEntity.Published(null, epoch, 4), publish(entity, replies, null, "m4"));
  }

  /**
   * A binary publish takes its seq in the same sequence as JSON ones, is rendered once as a
   * binary broadcast frame (no position in it), delivered to every local room with members,
   * kept in history and replayed to a recovering join in order with the JSON messages.
   */
  @Test
  void aBinaryPublishIsSequencedRenderedOnceKeptAndReplayed() throws Exception {
    ActorRef<RoomEntity.Command> entity = entity("room:bin");
    TestProbe<LocalRoom.Command> roomA = localRoom(), roomB = localRoom();
    Position start = admit(entity, roomA, 1);
    entity.tell(new RoomEntity.Register(roomB.ref(), 2));
    TestProbe<RoomEntity.Published> replies = testKit.createTestProbe(RoomEntity.Published.class);
    ByteString bytes = ByteString.fromArray(new byte[] {0, (byte) 0xFF, 1, 2});
    publish(entity, replies, "p1", "json");
    entity.tell(new RoomEntity.Publish("file", bytes, "p2", replies.ref(), true));
    assertEquals(new RoomEntity.Published("p2", start.epoch(), 2), replies.expectMessageClass(RoomEntity.Published.class, WAIT));
    ByteString expected = WebSocketFrames.binaryBytes(dev.chorus.protocol.BinaryCodec.encodeBroadcast("room:bin", "file", bytes));
    for (TestProbe<LocalRoom.Command> room : List.of(roomA, roomB)) {
      assertEquals(1, room.expectMessageClass(LocalRoom.Deliver.class, WAIT).seq());
      LocalRoom.Deliver d = room.expectMessageClass(LocalRoom.Deliver.class, WAIT);
      assertEquals(2, d.seq());
      assertEquals(expected, d.frame(), "rendered once, as the binary frame every member gets");
    }
    TestProbe<LocalRoom.Command> back = localRoom();
    entity.tell(new RoomEntity.Admit(back.ref(), 9, start));
    LocalRoom.Admitted admitted = back.expectMessageClass(LocalRoom.Admitted.class, WAIT);
    assertEquals(Boolean.TRUE, admitted.recovered());
    assertEquals(2, admitted.replay().size());
    assertEquals("{\"body\":\"json\"}", decode(admitted.replay().get(0)).payload().utf8String());
    assertEquals(expected, admitted.replay().get(1));
  }

  @Test
  void aFullRoomRefusesAdmission() {
    ActorRef<RoomEntity.Command> entity = entity("tiny:a"); // max-members = 2
    TestProbe<LocalRoom.Command> roomA = localRoom(), roomB = localRoom();
    admit(entity, roomA, 1);
    admit(entity, roomB, 2);
    entity.tell(new RoomEntity.Admit(roomB.ref(), 3, null));
    assertEquals(new LocalRoom.Refused(3, "room full"), roomB.expectMessageClass(LocalRoom.Refused.class, WAIT));
    // a member leaves: there is room again
    entity.tell(new RoomEntity.MemberLeft(roomA.ref()));
    admit(entity, roomB, 4);
    entity.tell(new RoomEntity.Admit(roomA.ref(), 5, null));
    assertEquals(new LocalRoom.Refused(5, "room full"), roomA.expectMessageClass(LocalRoom.Refused.class, WAIT));
  }

  @Test
  void registeredMembersCountTowardsTheCap() {
    ActorRef<RoomEntity.Command> entity = entity("tiny:a");
    TestProbe<LocalRoom.Command> roomA = localRoom(), roomB = localRoom();
    entity.tell(new RoomEntity.Register(roomA.ref(), 2));
    entity.tell(new RoomEntity.Admit(roomB.ref(), 1, null));
    assertEquals(new LocalRoom.Refused(1, "room full"), roomB.expectMessageClass(LocalRoom.Refused.class, WAIT));
    entity.tell(new RoomEntity.Register(roomA.ref(), 1));
    admit(entity, roomB, 2);
  }

  @Test
  void aTopicOfNoConfiguredNamespaceIsRefused() {
    TestProbe<LocalRoom.Command> room = localRoom();
    entity("nowhere:a").tell(new RoomEntity.Admit(room.ref(), 1, null));
    assertEquals(new LocalRoom.Refused(1, "unknown namespace"), room.expectMessageClass(LocalRoom.Refused.class, WAIT));
    entity("not-a-topic").tell(new RoomEntity.Admit(room.ref(), 2, null));
    assertEquals(new LocalRoom.Refused(2, "unknown namespace"), room.expectMessageClass(LocalRoom.Refused.class, WAIT));
  }

  @Test
  void aJoinSinceAPositionOfThisEpochIsReplayedWhatItMissed() throws Exception {
    ActorRef<RoomEntity.Command> entity = entity("room:a");
    TestProbe<LocalRoom.Command> room = localRoom(); // a node without members yet: it gets no Deliver
    TestProbe<RoomEntity.Published> replies = testKit.createTestProbe(RoomEntity.Published.class);
    String epoch = publish(entity, replies, "p1", "m1").epoch();
    publish(entity, replies, "p2", "m2");
    publish(entity, replies, "p3", "m3");
    entity.tell(new RoomEntity.Admit(room.ref(), 2, new Position(epoch, 1)));
    LocalRoom.Admitted admitted = room.expectMessageClass(LocalRoom.Admitted.class, WAIT);
    assertEquals(new Position(epoch, 3), admitted.at());
    assertEquals(Boolean.TRUE, admitted.recovered());
    assertEquals(2, admitted.replay().size());
    assertEquals(epoch + ":2", decode(admitted.replay().get(0)).ref());
    assertEquals("{\"body\":\"m2\"}", decode(admitted.replay().get(0)).payload().utf8String());
    assertEquals(epoch + ":3", decode(admitted.replay().get(1)).ref());
    // at the current position: recovered, nothing to replay
    entity.tell(new RoomEntity.Admit(room.ref(), 3, new Position(epoch, 3)));
    LocalRoom.Admitted upToDate = room.expectMessageClass(LocalRoom.Admitted.class, WAIT);
    assertEquals(Boolean.TRUE, upToDate.recovered());
    assertEquals(List.of(), upToDate.replay());
  }

  @Test
  void aJoinSinceAnotherEpochIsNotRecovered() {
    ActorRef<RoomEntity.Command> entity = entity("room:a");
    TestProbe<LocalRoom.Command> room = localRoom();
    TestProbe<RoomEntity.Published> replies = testKit.createTestProbe(RoomEntity.Published.class);
    String epoch = publish(entity, replies, "p1", "m1").epoch();
    publish(entity, replies, "p2", "m2");
    entity.tell(new RoomEntity.Admit(room.ref(), 1, new Position("other" + epoch, 1)));
    LocalRoom.Admitted admitted = room.expectMessageClass(LocalRoom.Admitted.class, WAIT);
    assertEquals(new Position(epoch, 2), admitted.at());
    assertEquals(Boolean.FALSE, admitted.recovered());
    assertEquals(List.of(), admitted.replay());
    // a seq ahead of this epoch's is not this epoch's either
    entity.tell(new RoomEntity.Admit(room.ref(), 2, new Position(epoch, 5)));
    LocalRoom.Admitted ahead = room.expectMessageClass(LocalRoom.Admitted.class, WAIT);
    assertEquals(Boolean.FALSE, ahead.recovered());
    assertEquals(List.of(), ahead.replay());
  }

  @Test
  void aJoinSinceAPositionNoLongerInHistoryIsNotRecovered() throws Exception {
    ActorRef<RoomEntity.Command> entity = entity("short:a"); // history-size = 2
    TestProbe<LocalRoom.Command> room = localRoom();
    TestProbe<RoomEntity.Published> replies = testKit.createTestProbe(RoomEntity.Published.class);
    String epoch = publish(entity, replies, "p1", "m1").epoch();
    for (int i = 2; i <= 4; i++) publish(entity, replies, "p" + i, "m" + i);
    // history holds 3 and 4: since 1 misses 2
    entity.tell(new RoomEntity.Admit(room.ref(), 1, new Position(epoch, 1)));
    LocalRoom.Admitted old = room.expectMessageClass(LocalRoom.Admitted.class, WAIT);
    assertEquals(Boolean.FALSE, old.recovered());
    assertEquals(List.of(), old.replay());
    // since 2 misses nothing that is gone
    entity.tell(new RoomEntity.Admit(room.ref(), 2, new Position(epoch, 2)));
    LocalRoom.Admitted recent = room.expectMessageClass(LocalRoom.Admitted.class, WAIT);
    assertEquals(Boolean.TRUE, recent.recovered());
    assertEquals(2, recent.replay().size());
    assertEquals(epoch + ":3", decode(recent.replay().get(0)).ref());
  }

  @Test
  void getHistoryListsTheKeptMessagesAfterASeq() throws Exception {
    ActorRef<RoomEntity.Command> entity = entity("room:a");
    TestProbe<RoomEntity.Published> replies = testKit.createTestProbe(RoomEntity.Published.class);
    String epoch = publish(entity, replies, "p1", "m1").epoch();
    publish(entity, replies, "p2", "m2");
    publish(entity, replies, "p3", "m3");
    TestProbe<RoomEntity.History> history = testKit.createTestProbe(RoomEntity.History.class);
    entity.tell(new RoomEntity.GetHistory(1, history.ref()));
    RoomEntity.History h = history.expectMessageClass(RoomEntity.History.class, WAIT);
    assertEquals(new Position(epoch, 3), h.at());
    assertEquals(List.of(2L, 3L), h.seqs());
    assertEquals(2, h.frames().size());
    assertEquals("{\"body\":\"m2\"}", decode(h.frames().get(0)).payload().utf8String());
    assertEquals("{\"body\":\"m3\"}", decode(h.frames().get(1)).payload().utf8String());
    entity.tell(new RoomEntity.GetHistory(3, history.ref()));
    RoomEntity.History none = history.expectMessageClass(RoomEntity.History.class, WAIT);
    assertEquals(List.of(), none.seqs());
    assertEquals(List.of(), none.frames());
  }

  @Test
  void whileLocatingPublishesAreHeldThenDeliveredToTheLocatedRooms() throws Exception {
    ActorTestKit kit = ActorTestKit.create();
    try {
      TestProbe<LocalRooms.Command> node = kit.createTestProbe(LocalRooms.Command.class);
      registerAsLocalRooms(kit, node);

      ActorRef<RoomEntity.Command> entity = entity(kit, "tiny:a");
      LocalRooms.Locate locate = node.expectMessageClass(LocalRooms.Locate.class, WAIT);
      assertEquals("tiny:a", locate.topic());
      TestProbe<RoomEntity.Published> replies = kit.createTestProbe(RoomEntity.Published.class);
      entity.tell(new RoomEntity.Publish("shout", ByteString.fromString("{}"), "p1", replies.ref()));
      replies.expectNoMessage(Duration.ofMillis(50)); // held while locating
      TestProbe<LocalRoom.Command> room = kit.createTestProbe(LocalRoom.Command.class);
      locate.entity().tell(new RoomEntity.Located(node.ref(), room.ref(), 2));
      assertEquals(1, replies.expectMessageClass(RoomEntity.Published.class, WAIT).seq());
      LocalRoom.Deliver d = room.expectMessageClass(LocalRoom.Deliver.class, WAIT);
      assertEquals(1, d.seq());
      // the located members count: tiny holds 2
      TestProbe<LocalRoom.Command> other = kit.createTestProbe(LocalRoom.Command.class);
      entity.tell(new RoomEntity.Admit(other.ref(), 1, null));
      assertEquals(new LocalRoom.Refused(1, "room full"), other.expectMessageClass(LocalRoom.Refused.class, WAIT));
    } finally {
      kit.shutdownTestKit();
    }
  }

  /** Broadcast frames of seqs {@code from..to} in {@code epoch}, as an entity renders them. */
  private static List<ByteString> frames(String epoch, long from, long to) {
    List<ByteString> out = new java.util.ArrayList<>();
    for (long s = from; s <= to; s++) {
      out.add(WebSocketFrames.textBytes(FrameCodec.encode(null, epoch + ":" + s, "room:a", "shout",
          ByteString.fromString("{\"n\":" + s + "}"))));
    }
    return out;
  }

  private static List<Long> seqs(long from, long to) {
    return java.util.stream.LongStream.rangeClosed(from, to).boxed().toList();
  }

  @Test
  void aRestartedEntityTakesTheTopicUpFromTheMostAdvancedRoomAndCatchesTheOthersUp() throws Exception {
    ActorTestKit kit = ActorTestKit.create();
    try {
      TestProbe<LocalRooms.Command> nodeA = kit.createTestProbe(LocalRooms.Command.class);
      TestProbe<LocalRooms.Command> nodeB = kit.createTestProbe(LocalRooms.Command.class);
      registerAsLocalRooms(kit, nodeA);
      registerAsLocalRooms(kit, nodeB);

      ActorRef<RoomEntity.Command> entity = entity(kit, "room:a");
      TestProbe<LocalRoom.Command> roomA = kit.createTestProbe(LocalRoom.Command.class);
      TestProbe<LocalRoom.Command> roomB = kit.createTestProbe(LocalRoom.Command.class);
      // The previous incarnation sent 1..5 to node A, but died before 4 and 5 reached node B.
      nodeA.expectMessageClass(LocalRooms.Locate.class, WAIT).entity()
          .tell(new RoomEntity.Located(nodeA.ref(), roomA.ref(), 1, new Position("ep", 5), 1));
      nodeB.expectMessageClass(LocalRooms.Locate.class, WAIT).entity()
          .tell(new RoomEntity.Located(nodeB.ref(), roomB.ref(), 1, new Position("ep", 3), 2));
      // A client of the dead node rejoins (on node B) while the history is taken up: held.
      TestProbe<LocalRoom.Command> rejoining = kit.createTestProbe(LocalRoom.Command.class);
      entity.tell(new RoomEntity.Admit(rejoining.ref(), 7, new Position("ep", 2)));

      LocalRoom.SendTail ask = roomA.expectMessageClass(LocalRoom.SendTail.class, WAIT);
      roomB.expectNoMessage(Duration.ofMillis(50));
      ask.entity().tell(new RoomEntity.Tail(seqs(1, 3), frames("ep", 1, 3), true));
      ask.entity().tell(new RoomEntity.Tail(seqs(4, 5), frames("ep", 4, 5), false));

      // Node B gets what it missed, the frames as they were, in order.
      LocalRoom.CatchUp catchUp = roomB.expectMessageClass(LocalRoom.CatchUp.class, WAIT);
      // The seq moves on past what the dead entity may have sent its own node's clients alone.
      long at = 5 + RoomEntity.TAKE_UP_GAP;
      assertEquals(new LocalRoom.CatchUp("ep", at, seqs(4, 5), frames("ep", 4, 5), true, true), catchUp);
      assertEquals(new LocalRoom.CatchUp("ep", at, List.of(), List.of(), true, true),
          roomA.expectMessageClass(LocalRoom.CatchUp.class, WAIT), "up to date but for the gap");
      // The rejoining client recovers 3..5 in the same epoch.
      LocalRoom.Admitted admitted = rejoining.expectMessageClass(LocalRoom.Admitted.class, WAIT);
      assertEquals(new Position("ep", at), admitted.at());
      assertEquals(Boolean.TRUE, admitted.recovered());
      assertEquals(frames("ep", 3, 5), admitted.replay());
      // And the topic goes on after the gap.
      TestProbe<RoomEntity.Published> replies = kit.createTestProbe(RoomEntity.Published.class);
      entity.tell(new RoomEntity.Publish("shout", ByteString.fromString("{}"), "p1", replies.ref()));
      RoomEntity.Published published = replies.expectMessageClass(RoomEntity.Published.class, WAIT);
      assertEquals("ep", published.epoch());
      assertEquals(at + 1, published.seq());
      assertEquals(at + 1, roomA.expectMessageClass(LocalRoom.Deliver.class, WAIT).seq());
      assertEquals(at + 1, roomB.expectMessageClass(LocalRoom.Deliver.class, WAIT).seq());
      // A client of the dead node that had seen seq 6, which no survivor had, gets the new one.
      TestProbe<LocalRoom.Command> ahead = kit.createTestProbe(LocalRoom.Command.class);
      entity.tell(new RoomEntity.Admit(ahead.ref(), 8, new Position("ep", 6)));
      LocalRoom.Admitted recovered = ahead.expectMessageClass(LocalRoom.Admitted.class, WAIT);
      assertEquals(Boolean.TRUE, recovered.recovered());
      assertEquals(1, recovered.replay().size());
      assertEquals("ep:" + (at + 1), decode(recovered.replay().get(0)).ref());
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void aRoomThatRegistersOrJoinsLateIsCaughtUpOrToldTheNewEpoch() throws Exception {
    ActorRef<RoomEntity.Command> entity = entity("room:a");
    TestProbe<LocalRoom.Command> roomA = localRoom();
    Position at = admit(entity, roomA, 1);
    TestProbe<RoomEntity.Published> replies = testKit.createTestProbe(RoomEntity.Published.class);
    for (int i = 1; i <= 3; i++) publish(entity, replies, "p" + i, "m" + i);
    // A room that was at seq 1 of this epoch registers: it gets 2 and 3.
    TestProbe<LocalRoom.Command> late = localRoom();
    entity.tell(new RoomEntity.Register(late.ref(), 2, new Position(at.epoch(), 1)));
    LocalRoom.CatchUp catchUp = late.expectMessageClass(LocalRoom.CatchUp.class, WAIT);
    assertEquals(List.of(2L, 3L), catchUp.seqs());
    assertEquals(3, catchUp.seq());
    assertTrue(catchUp.complete());
    // One it does not know that asks to admit a member first is caught up before the answer.
    TestProbe<LocalRoom.Command> joining = localRoom();
    entity.tell(new RoomEntity.Admit(joining.ref(), 9, null, new Position(at.epoch(), 2)));
    assertEquals(List.of(3L), joining.expectMessageClass(LocalRoom.CatchUp.class, WAIT).seqs());
    assertEquals(new Position(at.epoch(), 3), joining.expectMessageClass(LocalRoom.Admitted.class, WAIT).at());
    // One of another epoch (the topic started afresh meanwhile) is told the new one.
    TestProbe<LocalRoom.Command> stale = localRoom();
    entity.tell(new RoomEntity.Register(stale.ref(), 1, new Position("old", 9)));
    assertEquals(new LocalRoom.CatchUp(at.epoch(), 3, List.of(), List.of(), true, false),
        stale.expectMessageClass(LocalRoom.CatchUp.class, WAIT));
  }

  @Test
  void aNodeThatDoesNotAnswerIsWaitedForAtMostTheLocateTimeout() {
    ActorTestKit kit = ActorTestKit.create();
    try {
      TestProbe<LocalRooms.Command> silent = kit.createTestProbe(LocalRooms.Command.class);
      registerAsLocalRooms(kit, silent);

      ActorRef<RoomEntity.Command> entity = entity(kit, "room:a");
      silent.expectMessageClass(LocalRooms.Locate.class, WAIT); // and never answers
      TestProbe<LocalRoom.Command> room = kit.createTestProbe(LocalRoom.Command.class);
      entity.tell(new RoomEntity.Admit(room.ref(), 1, null));
      // locate-timeout is 200 ms in these tests
      LocalRoom.Admitted admitted = room.expectMessageClass(LocalRoom.Admitted.class, WAIT);
      assertEquals(0, admitted.at().seq());
    } finally {
      kit.shutdownTestKit();
    }
  }

  // ---------------------------------------------------------------- the node's bounds

  @Test
  void anEntityStartedBeyondMaxRoomsRefusesItsFirstJoinAndStops() {
    RoomSettings settings = RoomFixtures.settings("room.max-rooms = 2");
    NodeRooms node = RoomFixtures.node(settings, metrics);
    List<ActorRef<RoomEntity.Command>> entities = new java.util.ArrayList<>();
    TestProbe<LocalRoom.Command> room = localRoom();
    for (String topic : List.of("room:a", "room:b", "room:c")) {
      entities.add(testKit.spawn(RoomEntity.create(topic, null, RoomFixtures.NAMESPACES, settings, node, metrics)));
      if (entities.size() < 3) admit(entities.get(entities.size() - 1), room, entities.size()); // started, in this order
    }
    TestProbe<Object> watcher = testKit.createTestProbe();
    entities.get(2).tell(new RoomEntity.Admit(room.ref(), 3, null));
    assertEquals(new LocalRoom.Refused(3, "too many rooms"), room.expectMessageClass(LocalRoom.Refused.class, WAIT));
    watcher.expectTerminated(entities.get(2), WAIT);
    assertEquals(2, node.entities(), "the refused room is gone, the two others stay");
    assertEquals(2, metrics.roomEntities.get());
    // a room that exists takes more members
    admit(entities.get(0), localRoom(), 4);
  }

  @Test
  void anEntityOverMaxRoomsThatStopsWhileReplayingHeldMessagesFreesItsPlace() {
    // The flaky-test finding: a join held while the entity locates its members, replayed when it
    // is located, made an entity over max-rooms stop from inside the locating behavior, which
    // did not handle PostStop, so the node kept counting it (and every later room was refused).
    ActorTestKit kit = ActorTestKit.create();
    try {
      TestProbe<LocalRooms.Command> nodeRooms = kit.createTestProbe(LocalRooms.Command.class);
      registerAsLocalRooms(kit, nodeRooms);
      RoomSettings settings = RoomFixtures.settings("room.max-rooms = 1");
      NodeRooms node = RoomFixtures.node(settings, metrics);
      node.entityStarted(); // another room holds the node's one place
      ActorRef<RoomEntity.Command> entity = kit.spawn(RoomEntity.create("room:over", null, RoomFixtures.NAMESPACES, settings, node, metrics));
      LocalRooms.Locate locate = nodeRooms.expectMessageClass(LocalRooms.Locate.class, WAIT);
      TestProbe<LocalRoom.Command> room = kit.createTestProbe(LocalRoom.Command.class);
      entity.tell(new RoomEntity.Admit(room.ref(), 1, null)); // held: the entity is still locating
      assertEquals(2, node.entities());
      locate.entity().tell(new RoomEntity.Located(nodeRooms.ref(), null, 0)); // replays the join
      assertEquals(new LocalRoom.Refused(1, "too many rooms"), room.expectMessageClass(LocalRoom.Refused.class, WAIT));
      kit.createTestProbe().expectTerminated(entity, WAIT);
      assertEquals(1, node.entities(), "the stopped entity no longer counts");
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void anEntityWithoutMembersStopsAfterTheIdleTimeoutAndItsHistoryWithIt() {
    RoomSettings settings = RoomFixtures.settings("room.idle-timeout = 300 ms");
    NodeRooms node = RoomFixtures.node(settings, metrics);
    ActorRef<RoomEntity.Command> entity = testKit.spawn(RoomEntity.create("room:idle", null, RoomFixtures.NAMESPACES, settings, node, metrics));
    TestProbe<LocalRoom.Command> room = localRoom();
    admit(entity, room, 1);
    TestProbe<RoomEntity.Published> replies = testKit.createTestProbe(RoomEntity.Published.class);
    publish(entity, replies, "p1", "kept");
    assertTrue(node.historyBytes() > 0);
    TestProbe<Object> watcher = testKit.createTestProbe();
    watcher.expectNoMessage(Duration.ofMillis(600)); // lets time pass: with a member it stays, however quiet
    assertEquals(2, publish(entity, replies, "p2", "still here").seq(), "the same incarnation answers");
    entity.tell(new RoomEntity.MemberLeft(room.ref()));
    watcher.expectTerminated(entity, WAIT);
    assertEquals(0, node.entities());
    assertEquals(0, node.historyBytes(), "its history is freed with it");
    assertEquals(0, metrics.historyBytes.get());
  }

  @Test
  void aReplayLargerThanAPageComesInPagesThatMeetTheLiveMessagesInOrder() throws Exception {
    ActorRef<RoomEntity.Command> entity = entity("room:pages");
    TestProbe<RoomEntity.Published> replies = testKit.createTestProbe(RoomEntity.Published.class);
    String body = "y".repeat(15_000);
    String epoch = publish(entity, replies, "p1", body).epoch();
    for (int i = 2; i <= 100; i++) publish(entity, replies, "p" + i, body);
    TestProbe<LocalRoom.Command> room = localRoom();
    entity.tell(new RoomEntity.Admit(room.ref(), 7, new Position(epoch, 0)));
    entity.tell(new RoomEntity.Publish("live", ByteString.fromString("{}"), "p101", replies.ref()));
    LocalRoom.Admitted admitted = room.expectMessageClass(LocalRoom.Admitted.class, WAIT);
    assertEquals(Boolean.TRUE, admitted.recovered());
    assertFalse(admitted.last());
    List<ByteString> replay = new java.util.ArrayList<>(admitted.replay());
    long pages = 1;
    while (true) {
      LocalRoom.ReplayPage page = room.expectMessageClass(LocalRoom.ReplayPage.class, WAIT);
      assertEquals(7, page.joinId());
      assertTrue(page.frames().stream().mapToInt(ByteString::size).sum() <= RoomFixtures.SETTINGS.replayPageBytes());
      replay.addAll(page.frames());
      pages++;
      if (page.last()) break;
    }
    assertEquals(100, replay.size());
    for (int i = 0; i < 100; i++) assertEquals(epoch + ":" + (i + 1), decode(replay.get(i)).ref());
    assertTrue(pages >= 12, "1.5 MB in pages of 128 KiB: " + pages);
    assertEquals(101, room.expectMessageClass(LocalRoom.Deliver.class, WAIT).seq(), "live after the last page");
  }

  @Test
  void theHistoryApiReadsInPages() throws Exception {
    ActorRef<RoomEntity.Command> entity = entity("room:history-pages");
    TestProbe<RoomEntity.Published> replies = testKit.createTestProbe(RoomEntity.Published.class);
    for (int i = 1; i <= 30; i++) publish(entity, replies, "p" + i, "z".repeat(10_000));
    TestProbe<RoomEntity.History> history = testKit.createTestProbe(RoomEntity.History.class);
    List<Long> seqs = new java.util.ArrayList<>();
    long after = 0;
    while (true) {
      entity.tell(new RoomEntity.GetHistory(after, history.ref()));
      RoomEntity.History h = history.expectMessageClass(RoomEntity.History.class, WAIT);
      assertTrue(h.frames().stream().mapToInt(ByteString::size).sum() <= RoomFixtures.SETTINGS.replayPageBytes());
      seqs.addAll(h.seqs());
      if (!h.more()) break;
      after = h.seqs().get(h.seqs().size() - 1);
    }
    assertEquals(java.util.stream.LongStream.rangeClosed(1, 30).boxed().toList(), seqs);
  }
}
