package dev.chorus.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.typesafe.config.ConfigFactory;
import dev.chorus.metrics.Metrics;
import dev.chorus.protocol.Frame;
import dev.chorus.protocol.ProtocolException;
import dev.chorus.room.Channel;
import dev.chorus.room.JoinRequest;
import dev.chorus.room.LocalRooms;
import dev.chorus.room.Namespaces;
import dev.chorus.testkit.TestNode;
import dev.chorus.transport.CloseReason;
import dev.chorus.transport.ConnectParams;
import dev.chorus.transport.JoinsInProgress;
import dev.chorus.transport.QueueReader;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link Session} actor's protocol, without a socket: a probe stands in for the node's
 * {@link LocalRooms} (and answers joins as the room would, through {@link JoinRequest#replyTo}),
 * probes stand in for the channels, and the session writes into a real outbound queue that the
 * test reads back. Checks heartbeats, join routing and refusals, pushes held until a join is
 * admitted, leaves and rejoins, refused joins, channel failures, the end of the connection and
 * bad frames.
 */
class SessionTest {
  private static final Duration WAIT = Duration.ofSeconds(3);
  private static final ActorTestKit testKit = ActorTestKit.create();

  private static final Namespaces NAMESPACES = Namespaces.fromConfig(
      ConfigFactory.parseString("namespaces { room { presence = off } }")
          .withFallback(ConfigFactory.defaultReference().getConfig("chorus")));

  private Metrics metrics;
  private QueueReader out;
  private TestProbe<LocalRooms.Command> rooms;
  private ActorRef<Session.Command> session;
  private JoinsInProgress joinsInProgress;

  @BeforeEach
  void start() {
    metrics = new Metrics();
    out = QueueReader.create(metrics);
    rooms = testKit.createTestProbe(LocalRooms.Command.class);
    joinsInProgress = new JoinsInProgress(0, metrics);
    Session.Settings settings = new Session.Settings(100, 64, 256 * 1024, rooms.ref(), NAMESPACES, metrics, joinsInProgress);
    session = testKit.spawn(Session.create(settings, out.queue(), ConnectParams.of(Map.of(), null)));
  }

  @AfterEach
  void stop() {
    testKit.stop(session, WAIT);
    out.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  // ---------------------------------------------------------------- helpers

  private void client(String joinRef, String ref, String topic, String event, String payload) {
    session.tell(new Session.ClientFrame(new Frame(joinRef, ref, topic, event, ByteString.fromString(payload))));
  }

  private void push(String joinRef, String ref, String topic, String event) {
    client(joinRef, ref, topic, event, "{\"n\":\"" + ref + "\"}");
  }

  /** The client joins; returns the request as LocalRooms received it. */
  private JoinRequest join(String joinRef, String topic) {
    client(joinRef, joinRef, topic, "phx_join", "{}");
    return rooms.expectMessageClass(LocalRooms.Join.class, WAIT).request();
  }

  /** The client joins and the room admits it with {@code channel}. */
  private JoinRequest joined(String joinRef, String topic, TestProbe<Channel.Command> channel) {
    JoinRequest r = join(joinRef, topic);
    r.replyTo().tell(new JoinRequest.Accepted(topic, joinRef, channel.ref()));
    return r;
  }

  /**
   * Sends a heartbeat and reads frames up to its reply: once it is there, the session has
   * handled everything sent before it. Fails on any frame queued before the reply.
   */
  private void barrier() {
    client(null, "hb", "phoenix", "heartbeat", "{}");
    QueueReader.Out reply = out.next(WAIT);
    assertEquals("phoenix", reply.topic(), "expected only the heartbeat reply, got " + reply);
    assertEquals("hb", reply.ref(), "expected only the heartbeat reply, got " + reply);
  }

  private void expectError(String joinRef, String ref, String topic, String reason) {
    QueueReader.Out f = out.next(WAIT);
    assertEquals("phx_reply", f.event(), f.toString());
    assertEquals("error", f.status(), f.toString());
    assertEquals(reason, f.reason(), f.toString());
    assertEquals(joinRef, f.joinRef(), f.toString());
    assertEquals(ref, f.ref(), f.toString());
    assertEquals(topic, f.topic(), f.toString());
  }

  private static Frame pushed(TestProbe<Channel.Command> channel) {
    return channel.expectMessageClass(Channel.Push.class, WAIT).frame();
  }

  // ---------------------------------------------------------------- tests

  @Test
  void heartbeatIsAnswered() {
    client(null, "7", "phoenix", "heartbeat", "{}");
    QueueReader.Out reply = out.next(WAIT);
    assertEquals("phx_reply", reply.event());
    assertEquals("ok", reply.status());
    assertEquals("7", reply.ref());
    assertNull(reply.joinRef());
    assertEquals("phoenix", reply.topic());
    assertEquals(0, reply.response().size(), "empty response");
    rooms.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void joinOfAnInvalidTopicIsRefused() {
    client("1", "1", "no-colon", "phx_join", "{}");
    expectError("1", "1", "no-colon", "invalid topic");
    client("2", "2", "room:", "phx_join", "{}");
    expectError("2", "2", "room:", "invalid topic");
    rooms.expectNoMessage(Duration.ofMillis(50));
    assertEquals(2, metrics.joinsRefused.sum());
  }

  @Test
  void joinOfAnUnknownNamespaceIsRefused() {
    client("1", "1", "nowhere:lobby", "phx_join", "{}");
    expectError("1", "1", "nowhere:lobby", "unknown namespace");
    rooms.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void joinGoesToLocalRoomsAsAJoinRequest() {
    client("3", "4", "room:lobby", "phx_join", "{\"since\":null}");
    JoinRequest r = rooms.expectMessageClass(LocalRooms.Join.class, WAIT).request();
    assertEquals("room:lobby", r.topic().toString());
    assertEquals("room", r.namespace().name());
    assertEquals("3", r.joinRef());
    assertEquals("4", r.ref());
    assertEquals("{\"since\":null}", r.params().utf8String());
    assertSame(out.queue(), r.queue());
    assertEquals(session, r.session());
    // the session writes no reply of its own: the room does
    barrier();
  }

  @Test
  void pushesAfterAcceptanceGoToTheChannel() {
    TestProbe<Channel.Command> channel = testKit.createTestProbe(Channel.Command.class);
    joined("1", "room:lobby", channel);
    push("1", "2", "room:lobby", "shout");
    Frame f = pushed(channel);
    assertEquals("shout", f.event());
    assertEquals("2", f.ref());
    assertEquals("1", f.joinRef());
    // a push without join_ref belongs to the topic's join too
    push(null, "3", "room:lobby", "shout");
    assertEquals("3", pushed(channel).ref());
    barrier();
  }

  @Test
  void pushesBeforeAcceptanceAreHeldAndForwardedInOrder() {
    TestProbe<Channel.Command> channel = testKit.createTestProbe(Channel.Command.class);
    JoinRequest r = join("1", "room:lobby");
    push("1", "2", "room:lobby", "a");
    push("1", "3", "room:lobby", "b");
    push("1", "4", "room:lobby", "c");
    barrier(); // handled, and held: nothing forwarded, nothing refused
    channel.expectNoMessage(Duration.ofMillis(50));
    r.replyTo().tell(new JoinRequest.Accepted("room:lobby", "1", channel.ref()));
    assertEquals("2", pushed(channel).ref());
    assertEquals("3", pushed(channel).ref());
    assertEquals("4", pushed(channel).ref());
    push("1", "5", "room:lobby", "d");
    assertEquals("5", pushed(channel).ref());
  }

  @Test
  void pushToAnUnjoinedTopicIsUnmatched() {
    push("1", "2", "room:lobby", "shout");
    expectError("1", "2", "room:lobby", "unmatched topic");
    // another join_ref than the topic's join is not that join's
    TestProbe<Channel.Command> channel = testKit.createTestProbe(Channel.Command.class);
    joined("5", "room:lobby", channel);
    push("4", "6", "room:lobby", "shout");
    expectError("4", "6", "room:lobby", "unmatched topic");
    channel.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void reservedEventIsRefused() {
    TestProbe<Channel.Command> channel = testKit.createTestProbe(Channel.Command.class);
    joined("1", "room:lobby", channel);
    push("1", "2", "room:lobby", "phx_reply");
    expectError("1", "2", "room:lobby", "reserved event");
    push("1", "3", "room:lobby", "phx_whatever");
    expectError("1", "3", "room:lobby", "reserved event");
    // presence events are the server's too: a forged presence_state would wipe every list
    push("1", "4", "room:lobby", "presence_state");
    expectError("1", "4", "room:lobby", "reserved event");
    push("1", "5", "room:lobby", "presence_diff");
    expectError("1", "5", "room:lobby", "reserved event");
    channel.expectNoMessage(Duration.ofMillis(50));
    assertEquals(4, metrics.pushesRefusedBy("reserved event"));
  }

  @Test
  void leaveGoesToTheChannel() {
    TestProbe<Channel.Command> channel = testKit.createTestProbe(Channel.Command.class);
    joined("1", "room:lobby", channel);
    client("1", "9", "room:lobby", "phx_leave", "{}");
    assertEquals(new Channel.Leave("9"), channel.expectMessageClass(Channel.Leave.class, WAIT));
    barrier(); // the channel's room answers the leave, not the session
    // the join is gone: a later push is unmatched
    push("1", "10", "room:lobby", "shout");
    expectError("1", "10", "room:lobby", "unmatched topic");
    assertEquals(1, metrics.leaves.sum());
  }

  @Test
  void leaveOfAnUnjoinedTopicIsUnmatched() {
    client("1", "2", "room:lobby", "phx_leave", "{}");
    expectError("1", "2", "room:lobby", "unmatched topic");
  }

  @Test
  void rejoinReplacesTheFirstJoin() {
    TestProbe<Channel.Command> first = testKit.createTestProbe(Channel.Command.class);
    TestProbe<Channel.Command> second = testKit.createTestProbe(Channel.Command.class);
    joined("1", "room:lobby", first);
    JoinRequest again = join("5", "room:lobby");
    assertEquals(new Channel.Leave(null), first.expectMessageClass(Channel.Leave.class, WAIT));
    assertEquals("5", again.joinRef());
    again.replyTo().tell(new JoinRequest.Accepted("room:lobby", "5", second.ref()));
    push("5", "6", "room:lobby", "shout");
    assertEquals("6", pushed(second).ref());
    push("1", "7", "room:lobby", "shout"); // the first join's join_ref no longer matches
    expectError("1", "7", "room:lobby", "unmatched topic");
    first.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void acceptedAfterTheJoinWasLeftEndsThatChannelThroughItsRoom() {
    TestProbe<Channel.Command> channel = testKit.createTestProbe(Channel.Command.class);
    JoinRequest r = join("1", "room:lobby");
    client("1", "2", "room:lobby", "phx_leave", "{}");
    QueueReader.Out leaveReply = out.next(WAIT);
    assertEquals("phx_reply", leaveReply.event());
    assertEquals("ok", leaveReply.status());
    assertEquals("2", leaveReply.ref());
    assertEquals("1", leaveReply.joinRef());
    r.replyTo().tell(new JoinRequest.Accepted("room:lobby", "1", channel.ref()));
    // The channel leaves like any left join: its room removes the member, then queues phx_close
    // (LocalRoomTest), so the session itself queues nothing more.
    assertNull(channel.expectMessageClass(Channel.Leave.class, WAIT).ref());
    barrier();
  }

  @Test
  void acceptedAfterARejoinEndsTheFirstChannelThroughItsRoom() {
    TestProbe<Channel.Command> first = testKit.createTestProbe(Channel.Command.class);
    TestProbe<Channel.Command> second = testKit.createTestProbe(Channel.Command.class);
    JoinRequest r1 = join("1", "room:lobby");
    JoinRequest r2 = join("2", "room:lobby");
    r1.replyTo().tell(new JoinRequest.Accepted("room:lobby", "1", first.ref()));
    assertNull(first.expectMessageClass(Channel.Leave.class, WAIT).ref());
    r2.replyTo().tell(new JoinRequest.Accepted("room:lobby", "2", second.ref()));
    push("2", "3", "room:lobby", "shout");
    assertEquals("3", pushed(second).ref());
  }

  @Test
  void refusedJoinDropsItsHeldPushes() {
    JoinRequest r = join("1", "room:lobby");
    push("1", "2", "room:lobby", "a");
    push("1", "3", "room:lobby", "b");
    push("1", null, "room:lobby", "c"); // no ref: nothing to answer
    barrier();
    r.replyTo().tell(new JoinRequest.Refused("room:lobby", "1"));
    expectError("1", "2", "room:lobby", "unmatched topic");
    expectError("1", "3", "room:lobby", "unmatched topic");
    barrier();
    // the join is gone
    push("1", "4", "room:lobby", "d");
    expectError("1", "4", "room:lobby", "unmatched topic");
  }

  @Test
  void aStoppedChannelEndsItsJoinAloneWithPhxError() {
    TestProbe<Channel.Command> a = testKit.createTestProbe(Channel.Command.class);
    TestProbe<Channel.Command> b = testKit.createTestProbe(Channel.Command.class);
    joined("1", "room:a", a);
    joined("2", "room:b", b);
    barrier(); // both accepted (and watched)
    a.stop();
    QueueReader.Out error = out.next(WAIT);
    assertEquals("phx_error", error.event());
    assertEquals("room:a", error.topic());
    assertEquals("1", error.joinRef());
    assertEquals("1", error.ref());
    assertEquals(1, metrics.channelFailures.sum());
    push("2", "3", "room:b", "shout");
    assertEquals("3", pushed(b).ref());
    push("1", "4", "room:a", "shout");
    expectError("1", "4", "room:a", "unmatched topic");
    barrier();
  }

  @Test
  void aChannelThatStopsAfterItsLeaveSendsNoError() {
    TestProbe<Channel.Command> channel = testKit.createTestProbe(Channel.Command.class);
    joined("1", "room:lobby", channel);
    client("1", "2", "room:lobby", "phx_leave", "{}");
    channel.expectMessageClass(Channel.Leave.class, WAIT);
    TestProbe<Object> watcher = testKit.createTestProbe();
    channel.stop(); // as the room stops a channel it removed
    watcher.expectTerminated(channel.ref(), WAIT);
    // a negative check: the session's own Terminated signal is not ordered with the test's,
    // so this passes also if a phx_error were to come later; a barrier leaves it time to show
    barrier();
    assertEquals(0, metrics.channelFailures.sum());
  }

  @Test
  void connectionClosedClosesEveryChannelAndStopsTheSession() {
    TestProbe<Channel.Command> a = testKit.createTestProbe(Channel.Command.class);
    TestProbe<Channel.Command> b = testKit.createTestProbe(Channel.Command.class);
    joined("1", "room:a", a);
    joined("2", "room:b", b);
    join("3", "room:c"); // still under way: it has no channel yet
    barrier();
    TestProbe<Object> watcher = testKit.createTestProbe();
    session.tell(new Session.ConnectionClosed());
    a.expectMessageClass(Channel.Close.class, WAIT);
    b.expectMessageClass(Channel.Close.class, WAIT);
    watcher.expectTerminated(session, WAIT);
  }

  @Test
  void badFrameWithARefGetsAnErrorReply() {
    session.tell(new Session.BadFrame(new ProtocolException("bad frame: payload must be an object", "1", "2", "room:lobby")));
    expectError("1", "2", "room:lobby", "bad frame: payload must be an object");
    // without a topic, the reply goes to "phoenix"
    session.tell(new Session.BadFrame(new ProtocolException("bad frame: topic must be a string", null, "3", null)));
    expectError(null, "3", "phoenix", "bad frame: topic must be a string");
    assertNull(out.closeRequest());
    assertEquals(2, metrics.badFrames.sum());
  }

  @Test
  void badFrameWithoutARefClosesTheConnectionWith4002() {
    session.tell(new Session.BadFrame(new ProtocolException("bad frame: expected a JSON array", null, null, null)));
    CloseReason close = out.awaitClose(WAIT);
    assertEquals(CloseReason.BAD_FRAME, close.code());
    assertEquals("bad frame: expected a JSON array", close.reason());
    out.expectNothingQueued();
  }

  @Test
  void aSessionThatStopsWhileItsConnectionIsOpenClosesItWith1011() {
    // What supervision does to a failed session: it stops. Its connection must not hang open.
    testKit.stop(session, WAIT);
    CloseReason close = out.awaitClose(WAIT);
    assertEquals(CloseReason.INTERNAL_ERROR, close);
  }

  // ---------------------------------------------------------------- joins in progress

  /** Waits until the node's count of joins in progress is {@code n}. */
  private void awaitInProgress(int n) throws InterruptedException {
    TestNode.await(n + " joins in progress (" + joinsInProgress.count() + " now)", WAIT, () -> joinsInProgress.count() == n);
  }

  @Test
  void aJoinIsInProgressFromTheRoomsUntilItsAnswer() throws InterruptedException {
    TestProbe<Channel.Command> channel = testKit.createTestProbe(Channel.Command.class);
    TestProbe<Channel.Command> replaced = testKit.createTestProbe(Channel.Command.class);
    JoinRequest a = join("1", "room:a");
    JoinRequest b = join("2", "room:b");
    JoinRequest c1 = join("3", "room:c");
    JoinRequest c2 = join("4", "room:c"); // replaces c1, which is still under way: both are in progress
    barrier();
    assertEquals(4, joinsInProgress.count());
    // joins the session refuses itself never reach the rooms, and never count
    client("5", "5", "no-colon", "phx_join", "{}");
    expectError("5", "5", "no-colon", "invalid topic");
    client("6", "6", "nowhere:x", "phx_join", "{}");
    expectError("6", "6", "nowhere:x", "unknown namespace");
    assertEquals(4, joinsInProgress.count());

    a.replyTo().tell(new JoinRequest.Accepted("room:a", "1", channel.ref()));
    awaitInProgress(3);
    b.replyTo().tell(new JoinRequest.Refused("room:b", "2"));
    awaitInProgress(2);
    c1.replyTo().tell(new JoinRequest.Accepted("room:c", "3", replaced.ref())); // replaced meanwhile: its channel is ended
    replaced.expectMessageClass(Channel.Leave.class, WAIT);
    awaitInProgress(1);
    c2.replyTo().tell(new JoinRequest.Refused("room:c", "4"));
    awaitInProgress(0);
    // an answer the rooms never owe takes nothing out of the count
    a.replyTo().tell(new JoinRequest.Refused("room:a", "1"));
    barrier();
    assertEquals(0, joinsInProgress.count());
  }

  @Test
  void aConnectionThatEndsTakesItsJoinsInProgressOut() throws InterruptedException {
    TestProbe<Channel.Command> channel = testKit.createTestProbe(Channel.Command.class);
    JoinRequest a = joined("1", "room:a", channel);
    JoinRequest b = join("2", "room:b");
    join("3", "room:c");
    awaitInProgress(2);
    TestProbe<Object> watcher = testKit.createTestProbe();
    session.tell(new Session.ConnectionClosed());
    watcher.expectTerminated(session, WAIT);
    assertEquals(0, joinsInProgress.count(), "counted out when the session stopped");
    b.replyTo().tell(new JoinRequest.Refused("room:b", "2")); // the late answer reaches no one
    a.replyTo().tell(new JoinRequest.Refused("room:a", "1"));
    assertEquals(0, joinsInProgress.count());
  }

  @Test
  void aSessionThatFailsTakesItsJoinsInProgressOut() throws InterruptedException {
    join("1", "room:a");
    awaitInProgress(1);
    testKit.stop(session, WAIT); // as supervision stops a failed session
    assertEquals(0, joinsInProgress.count());
  }

  @Test
  void aSessionThatEndsWithItsConnectionRequestsNoClose() {
    TestProbe<Object> watcher = testKit.createTestProbe();
    session.tell(new Session.ConnectionClosed());
    watcher.expectTerminated(session, WAIT);
    assertNull(out.closeRequest());
  }
}
