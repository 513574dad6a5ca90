package dev.chorus.ops;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The admin API's messages between nodes (node status, samples, drain, user lookup) survive the
 * binding that carries them, Pekko's Jackson CBOR serializer (pekko-overrides.conf): nulls,
 * maps and nested records included.
 */
class OpsMessagesSerializationTest {
  static final ActorTestKit kit = ActorTestKit.create(
      // local first: pekko-overrides.conf says cluster, which would bind remoting's port 25520
      ConfigFactory.parseString("pekko.actor.provider = local")
      .withFallback(ConfigFactory.parseResources("pekko-overrides.conf"))
      .withFallback(ConfigFactory.load()).resolve());
  static final Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static Object roundTrip(Object message) {
    Serializer serializer = serialization.findSerializerFor(message);
    assertEquals("org.apache.pekko.serialization.jackson.JacksonCborSerializer", serializer.getClass().getName(), message.toString());
    byte[] bytes = serialization.serialize(message).get(); // as Artery does: with the system at hand for actor refs
    return serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message)).get();
  }

  @Test
  void everyMessageRoundTrips() {
    String node = "pekko://chorus@127.0.0.1:25520";
    Sample busy = new Sample(1_764_500_000_000L, 3, 1.5, 2, 300, 0.8, 4.25, 0, Map.of("origin", 0.5, "ip_rate", 0.0), 10, 1 << 20, 0.2);
    Sample quiet = new Sample(1_764_500_001_000L, 0, 0, 0, 0, null, null, 0, Map.of(), 0, 1 << 20, 0);
    List<Object> messages = List.of(
        new NodeStatus.GetStats(kit.<NodeStatus.Stats>createTestProbe().ref()),
        new NodeStatus.Stats(node, new NodeStats("0.1.0-SNAPSHOT", 123.4, 3, 1, 2, 5, true, 1, 2, 3, 4, 0.1, 0.2, 2)),
        new NodeStatus.GetSamples(kit.<NodeStatus.Samples>createTestProbe().ref()),
        new NodeStatus.Samples(node, List.of(busy, quiet)),
        new NodeStatus.Samples(node, List.of()),
        new NodeStatus.GetLatest(kit.<NodeStatus.Latest>createTestProbe().ref()),
        new NodeStatus.Latest(node, busy),
        new NodeStatus.Latest(node, null),
        new NodeStatus.Drain(kit.<NodeDrain.Drained>createTestProbe().ref()),
        new NodeDrain.Drained(node, 12, "30.0s"),
        new UserLookup.Find("ada", kit.<UserLookup.Found>createTestProbe().ref()),
        new UserLookup.Found(node, List.of(new UserLookup.Connection("00000000000000ab", "websocket", List.of("room:a", "room:b"), 12.5))),
        new UserLookup.Found(node, List.of()));
    for (Object m : messages) assertEquals(m, roundTrip(m), "round trip of " + m);
  }
}
