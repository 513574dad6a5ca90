package dev.chorus.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chorus.metrics.Metrics;
import dev.chorus.protocol.Frame;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.protocol.Topic;
import dev.chorus.transport.CloseReason;
import dev.chorus.transport.ConnectParams;
import dev.chorus.transport.QueueReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.BehaviorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.testkit.javadsl.TestEntityRef;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link Channel} actor's protocol: how it checks a client's pushes (namespace allows
 * publishing, size, rate and flood), hands them to its room entity and answers them, passes a
 * leave to its local room, ends with its session, and fails on the test crash hook. The room
 * entity is a probe behind Pekko's {@link TestEntityRef} (an {@link EntityRef} that forwards to
 * an actor ref, no sharding), the local room and the session are probes, and the replies are
 * read back from a real outbound queue.
 */
class ChannelTest {
  private static final Duration WAIT = Duration.ofSeconds(3);
  private static final ActorTestKit testKit = ActorTestKit.create();

  private static final Namespaces NAMESPACES = RoomFixtures.NAMESPACES;
  private static final RoomSettings SETTINGS = RoomFixtures.SETTINGS;

  private Metrics metrics;
  private QueueReader out;
  private TestProbe<RoomEntity.Command> entity;
  private TestProbe<LocalRoom.Command> parent;
  private TestProbe<Object> session;
  private final List<ActorRef<Channel.Command>> channels = new ArrayList<>();

  @BeforeEach
  void start() {
    metrics = new Metrics();
    out = QueueReader.create(metrics);
    entity = testKit.createTestProbe(RoomEntity.Command.class);
    parent = testKit.createTestProbe(LocalRoom.Command.class);
    session = testKit.createTestProbe();
  }

  @AfterEach
  void stop() {
    for (ActorRef<Channel.Command> c : channels) testKit.stop(c, WAIT);
    out.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  // ---------------------------------------------------------------- helpers

  /** The join of {@code topic} by joinRef "1", as the session made it. */
  static JoinRequest request(String topic, ActorRef<?> session, ActorRef<JoinRequest.Outcome> replyTo, QueueReader out, String payload) {
    Topic t = Topic.parse(topic);
    return new JoinRequest(t, NAMESPACES.get(t.namespace()), "1", "1", ByteString.fromString(payload),
        ConnectParams.of(Map.of(), null), session, replyTo, out.queue());
  }

  private ActorRef<Channel.Command> channel(String topic) {
    JoinRequest join = request(topic, session.ref(), testKit.<JoinRequest.Outcome>createTestProbe().ref(), out, "{}");
    EntityRef<RoomEntity.Command> entityRef = TestEntityRef.of(RoomEntity.TYPE_KEY, topic, entity.ref());
    ActorRef<Channel.Command> channel = testKit.spawn(Channel.create(join.topic().toString(), join, entityRef, parent.ref(), SETTINGS, metrics));
    channels.add(channel);
    return channel;
  }

  private static Channel.Push push(String ref, String topic, String event, String payload) {
    return new Channel.Push(new Frame("1", ref, topic, event, ByteString.fromString(payload)));
  }

  private void expectError(String ref, String topic, String reason) {
    QueueReader.Out f = out.next(WAIT);
    assertEquals("phx_reply", f.event(), f.toString());
    assertEquals("error", f.status(), f.toString());
    assertEquals(reason, f.reason(), f.toString());
    assertEquals("1", f.joinRef(), f.toString());
    assertEquals(ref, f.ref(), f.toString());
    assertEquals(topic, f.topic(), f.toString());
  }

  // ---------------------------------------------------------------- tests

  @Test
  void pushIsPublishedAndAnsweredOkOnceSequenced() {
    ActorRef<Channel.Command> channel = channel("room:lobby");
    channel.tell(push("2", "room:lobby", "shout", "{\"body\":\"hi\"}"));
    RoomEntity.Publish p = entity.expectMessageClass(RoomEntity.Publish.class, WAIT);
    assertEquals("shout", p.event());
    assertEquals("{\"body\":\"hi\"}", p.payload().utf8String());
    assertEquals("2", p.ref());
    out.expectNothingQueued(); // no answer before the entity sequenced it
    p.replyTo().tell(new RoomEntity.Published("2", "ep", 1));
    QueueReader.Out reply = out.next(WAIT);
    assertEquals("phx_reply", reply.event());
    assertEquals("ok", reply.status());
    assertEquals("1", reply.joinRef());
    assertEquals("2", reply.ref());
    assertEquals("room:lobby", reply.topic());
  }

  @Test
  void pushWithoutARefIsPublishedAndNotAnswered() {
    ActorRef<Channel.Command> channel = channel("room:lobby");
    channel.tell(push(null, "room:lobby", "shout", "{}"));
    RoomEntity.Publish p = entity.expectMessageClass(RoomEntity.Publish.class, WAIT);
    assertNull(p.ref());
    p.replyTo().tell(new RoomEntity.Published(null, "ep", 1));
    // then one with a ref: its answer is the first thing queued
    channel.tell(push("3", "room:lobby", "shout", "{}"));
    RoomEntity.Publish p2 = entity.expectMessageClass(RoomEntity.Publish.class, WAIT);
    p2.replyTo().tell(new RoomEntity.Published("3", "ep", 2));
    assertEquals("3", out.next(WAIT).ref());
  }

  @Test
  void publishNotAllowedInANamespaceWithoutClientPublish() {
    ActorRef<Channel.Command> channel = channel("quiet:news");
    channel.tell(push("2", "quiet:news", "shout", "{}"));
    expectError("2", "quiet:news", "publish not allowed");
    entity.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void aPushWhoseWholeFrameIsOverMaxMessageBytesIsTooLarge() {
    ActorRef<Channel.Command> channel = channel("small:x"); // max-message-bytes = 44
    String sixteen = "{\"b\":\"01234567\"}"; // ["1","2","small:x","shout",<16>]: 44 bytes, the bound itself
    String seventeen = "{\"b\":\"012345678\"}";
    assertEquals(44, FrameCodec.renderedSize("1", "2", "small:x", "shout", ByteString.fromString(sixteen)));
    channel.tell(push("2", "small:x", "shout", seventeen));
    expectError("2", "small:x", "message too large");
    entity.expectNoMessage(Duration.ofMillis(50));
    channel.tell(push("3", "small:x", "shoutt", sixteen)); // one byte more of event: the frame counts
    expectError("3", "small:x", "message too large");
    channel.tell(push("4", "small:x", "shout", sixteen));
    assertEquals("4", entity.expectMessageClass(RoomEntity.Publish.class, WAIT).ref());
    assertEquals(2, metrics.pushesRefusedBy("message too large"));
  }

  @Test
  void anEventLongerThanMaxEventBytesIsRefused() {
    ActorRef<Channel.Command> channel = channel("room:x");
    channel.tell(push("2", "room:x", "e".repeat(65), "{}"));
    expectError("2", "room:x", "event too long");
    channel.tell(push("3", "room:x", "\u00e9".repeat(33), "{}")); // 66 bytes of UTF-8 in 33 characters
    expectError("3", "room:x", "event too long");
    entity.expectNoMessage(Duration.ofMillis(50));
    channel.tell(push("4", "room:x", "e".repeat(64), "{}"));
    assertEquals("4", entity.expectMessageClass(RoomEntity.Publish.class, WAIT).ref());
  }

  @Test
  void overThePublishRateIsRateLimitedAndAFloodThatLastsFloodDurationCloses() throws InterruptedException {
    // slow: a burst of 2, (almost) no refill, closed once over the rate for flood-duration (300 ms)
    ActorRef<Channel.Command> channel = channel("slow:x");
    channel.tell(push("2", "slow:x", "shout", "{}"));
    channel.tell(push("3", "slow:x", "shout", "{}"));
    assertEquals("2", entity.expectMessageClass(RoomEntity.Publish.class, WAIT).ref());
    assertEquals("3", entity.expectMessageClass(RoomEntity.Publish.class, WAIT).ref());
    channel.tell(push("4", "slow:x", "shout", "{}"));
    expectError("4", "slow:x", "rate limited");
    assertNull(out.closeRequest(), "a violation alone does not close");
    Thread.sleep(400); // what is tested is time passing: the flood has now lasted past flood-duration
    channel.tell(push("5", "slow:x", "shout", "{}"));
    expectError("5", "slow:x", "rate limited");
    CloseReason close = out.awaitClose(WAIT);
    assertEquals(CloseReason.RATE_LIMITED, close);
    assertEquals(4003, close.code());
    assertEquals(2, metrics.rateLimited.sum());
    entity.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void leaveIsPassedToTheLocalRoom() {
    ActorRef<Channel.Command> channel = channel("room:lobby");
    channel.tell(new Channel.Leave("9"));
    assertEquals(new LocalRoom.Leave(channel, "1", "9"), parent.expectMessageClass(LocalRoom.Leave.class, WAIT));
    channel.tell(new Channel.Leave(null)); // a rejoin's
    assertEquals(new LocalRoom.Leave(channel, "1", null), parent.expectMessageClass(LocalRoom.Leave.class, WAIT));
    out.expectNothingQueued(); // the room answers, once the member is out
  }

  @Test
  void closeStopsTheChannelSilently() {
    ActorRef<Channel.Command> channel = channel("room:lobby");
    TestProbe<Object> watcher = testKit.createTestProbe();
    channel.tell(new Channel.Close());
    watcher.expectTerminated(channel, WAIT);
    out.expectNothingQueued();
    parent.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void theChannelStopsWithItsSession() {
    ActorRef<Channel.Command> channel = channel("room:lobby");
    TestProbe<Object> watcher = testKit.createTestProbe();
    session.stop();
    watcher.expectTerminated(channel, WAIT);
  }

  @Test
  void theCrashHookEventThrows() {
    // Directly: the behavior throws, and what becomes of the channel is its supervisor's call
    // (LocalRoom; see LocalRoomTest).
    TestInbox<RoomEntity.Command> entityInbox = TestInbox.create();
    TestInbox<LocalRoom.Command> parentInbox = TestInbox.create();
    TestInbox<Object> sessionInbox = TestInbox.create();
    JoinRequest join = request("room:lobby", sessionInbox.getRef(), TestInbox.<JoinRequest.Outcome>create().getRef(), out, "{}");
    BehaviorTestKit<Channel.Command> kit = BehaviorTestKit.create(Channel.create(
        "room:lobby", join, TestEntityRef.of(RoomEntity.TYPE_KEY, "room:lobby", entityInbox.getRef()), parentInbox.getRef(), SETTINGS, metrics));
    kit.run(push("2", "room:lobby", "shout", "{}"));
    assertTrue(entityInbox.hasMessages(), "an ordinary push is published");
    entityInbox.receiveMessage();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> kit.run(push("3", "room:lobby", "__crash__", "{}")));
    assertTrue(e.getMessage().contains("crash-event"), e.getMessage());
    assertFalse(entityInbox.hasMessages(), "the crash event is not published");
  }

  @Test
  void theCrashHookStopsAChannelUnderDefaultSupervision() {
    ActorRef<Channel.Command> channel = channel("room:lobby");
    TestProbe<Object> watcher = testKit.createTestProbe();
    channel.tell(push("2", "room:lobby", "__crash__", "{}"));
    watcher.expectTerminated(channel, WAIT);
    entity.expectNoMessage(Duration.ofMillis(50));
    out.expectNothingQueued(); // phx_error is the session's to send
  }
}
