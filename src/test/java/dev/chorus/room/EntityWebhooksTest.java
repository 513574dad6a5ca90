package dev.chorus.room;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.chorus.metrics.Metrics;
import dev.chorus.protocol.Topic;
import dev.chorus.transport.ConnectParams;
import dev.chorus.transport.QueueReader;
import dev.chorus.testkit.TestNode;
import dev.chorus.testkit.WebhookBackend;
import dev.chorus.webhooks.WebhookSender;
import dev.chorus.webhooks.WebhookSettings;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.testkit.javadsl.TestEntityRef;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A room entity's webhooks at its failover edges, with probes as the local rooms and a real
 * HTTP backend: a restarted entity rebuilds its members silently from the rooms' answers, then
 * announces the changes that follow; a local room that stops (its node gone) takes its users
 * with it.
 */
class EntityWebhooksTest {
  static final Duration WAIT = Duration.ofSeconds(10);
  static final Namespaces NAMESPACES = Namespaces.fromConfig(ConfigFactory.parseString("""
          webhooks.url = "http://127.0.0.1:1/unused"
          namespaces { room { presence = off } }
          """).withFallback(ConfigFactory.defaultReference().getConfig("chorus")));

  private ActorTestKit kit;
  private WebhookBackend backend;
  private WebhookSender sender;
  private NodeRooms node;

  @BeforeEach
  void start() throws Exception {
    kit = ActorTestKit.create();
    backend = new WebhookBackend("");
    WebhookSettings settings = WebhookSettings.fromConfig(ConfigFactory.parseString(
        "url = \"" + backend.url() + "\"\nbatch-interval = 20 ms\nuser-left-delay = 300 ms")
        .withFallback(ConfigFactory.defaultReference().getConfig("chorus.webhooks")));
    sender = new WebhookSender(settings, "test-node", new PrometheusRegistry());
    node = new NodeRooms(RoomFixtures.SETTINGS, new Metrics(), sender, settings.userLeftDelay().toMillis());
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
    sender.close();
    backend.close();
  }

  private ActorRef<RoomEntity.Command> entity(String topic) {
    return kit.spawn(RoomEntity.create(topic, null, NAMESPACES, RoomFixtures.SETTINGS, node, new Metrics()));
  }

  private void awaitEvents(String topic, List<String> expected) throws InterruptedException {
    TestNode.await(topic + " events " + expected, WAIT, Duration.ofMillis(20),
        () -> backend.delivered(topic).size() >= expected.size(), () -> "delivered: " + backend.delivered(topic));
    assertEquals(expected, backend.delivered(topic));
  }

  @Test
  void aRestartedEntityRebuildsItsMembersSilentlyThenAnnouncesWhatChanges() throws Exception {
    TestProbe<LocalRooms.Command> nodeRooms = kit.createTestProbe(LocalRooms.Command.class);
    TestProbe<Receptionist.Registered> registered = kit.createTestProbe(Receptionist.Registered.class);
    kit.system().receptionist().tell(Receptionist.register(LocalRooms.SERVICE_KEY, nodeRooms.ref(), registered.ref()));
    registered.expectMessageClass(Receptionist.Registered.class, WAIT);

    ActorRef<RoomEntity.Command> entity = entity("room:moved");
    LocalRooms.Locate locate = nodeRooms.expectMessageClass(LocalRooms.Locate.class, WAIT);
    TestProbe<LocalRoom.Command> room = kit.createTestProbe(LocalRoom.Command.class);
    // The members its predecessor announced: ann twice, bob once.
    locate.entity().tell(new RoomEntity.Located(nodeRooms.ref(), room.ref(), 3, null, Long.MAX_VALUE, Map.of("ann", 2, "bob", 1)));
    entity.tell(new RoomEntity.MemberLeft(room.ref(), "ann"));
    entity.tell(new RoomEntity.MemberLeft(room.ref(), "bob"));
    awaitEvents("room:moved", List.of("user_left bob"));
    entity.tell(new RoomEntity.MemberLeft(room.ref(), "ann"));
    awaitEvents("room:moved", List.of("user_left bob", "user_left ann", "topic_vacated"));
  }

  @Test
  void aLocalRoomThatStopsTakesItsUsersWithIt() throws Exception {
    ActorRef<RoomEntity.Command> entity = entity("room:node-lost");
    TestProbe<LocalRoom.Command> roomA = kit.createTestProbe(LocalRoom.Command.class);
    TestProbe<LocalRoom.Command> roomB = kit.createTestProbe(LocalRoom.Command.class);
    entity.tell(new RoomEntity.Admit(roomA.ref(), 1, null, null, "ann"));
    entity.tell(new RoomEntity.Admit(roomB.ref(), 2, null, null, "bob"));
    entity.tell(new RoomEntity.Admit(roomB.ref(), 3, null, null, "ann"));
    awaitEvents("room:node-lost", List.of("topic_occupied", "user_joined ann", "user_joined bob"));
    roomB.stop(); // node B is gone: bob with it; ann is still on A
    awaitEvents("room:node-lost", List.of("topic_occupied", "user_joined ann", "user_joined bob", "user_left bob"));
    roomA.stop();
    awaitEvents("room:node-lost", List.of("topic_occupied", "user_joined ann", "user_joined bob", "user_left bob",
        "user_left ann", "topic_vacated"));
  }

  /**
   * A local room tells its entity each member's user; an answer to a join it stopped waiting for
   * is given back as that user's member, so the user's count stays right.
   */
  @Test
  void aLocalRoomCarriesTheUserEvenInTheLateAnswerItGivesBack() {
    Metrics metrics = new Metrics();
    TestProbe<RoomEntity.Command> entityProbe = kit.createTestProbe(RoomEntity.Command.class);
    String topic = "room:late";
    ActorRef<LocalRoom.Command> room = kit.spawn(LocalRoom.create(topic, TestEntityRef.of(RoomEntity.TYPE_KEY, topic, entityProbe.ref()),
        kit.<LocalRooms.Command>createTestProbe().ref(), RoomFixtures.settings("room.join-timeout = 200 ms"), node, metrics,
        NAMESPACES.get("room"), null));
    QueueReader out = QueueReader.create(metrics);
    try {
      TestProbe<JoinRequest.Outcome> outcomes = kit.createTestProbe(JoinRequest.Outcome.class);
      room.tell(new LocalRoom.Join(new JoinRequest(Topic.parse(topic), NAMESPACES.get("room"), "1", "1", ByteString.fromString("{}"),
          ConnectParams.of(Map.of("user", "ann"), null), kit.createTestProbe().ref(), outcomes.ref(), out.queue())));
      RoomEntity.Admit admit = entityProbe.expectMessageClass(RoomEntity.Admit.class, WAIT);
      assertEquals("ann", admit.userId());
      outcomes.expectMessageClass(JoinRequest.Refused.class, WAIT); // join timed out
      room.tell(new LocalRoom.Admitted(admit.joinId(), new Position("ep", 0), null, List.of()));
      assertEquals(new RoomEntity.MemberLeft(room, "ann"), entityProbe.expectMessageClass(RoomEntity.MemberLeft.class, WAIT));
    } finally {
      kit.stop(room, WAIT);
      out.close();
    }
  }
}
