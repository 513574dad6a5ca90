package dev.chorus.room;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every cross-node room message survives its binary form, and the binding picks the serializer. */
class RoomSerializerTest {
  static final ActorTestKit kit = ActorTestKit.create(com.typesafe.config.ConfigFactory.parseResources("pekko-overrides.conf")
      .withFallback(com.typesafe.config.ConfigFactory.parseString("pekko.actor.provider = local"))
      .withFallback(com.typesafe.config.ConfigFactory.load()).resolve());
  static final RoomSerializer serializer = new RoomSerializer((ExtendedActorSystem) Adapter.toClassic(kit.system()));

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static Object roundTrip(Object message) throws Exception {
    byte[] bytes = serializer.toBinary(message);
    return serializer.fromBinary(bytes, serializer.manifest(message));
  }

  @Test
  void everyMessageRoundTrips() throws Exception {
    TestProbe<LocalRoom.Command> localRoom = kit.createTestProbe();
    TestProbe<LocalRooms.Command> node = kit.createTestProbe();
    TestProbe<RoomEntity.Command> entity = kit.createTestProbe();
    TestProbe<RoomEntity.Published> published = kit.createTestProbe();
    TestProbe<LocalRooms.Largest> largest = kit.createTestProbe();
    ByteString frame = ByteString.fromString("\u0081\u0010[null,null,\"room:a\",\"msg\",{\"é\":1}]");
    List<Object> messages = List.of(
        new LocalRoom.Deliver(42, frame, 1_700_000_000_000_000L),
        new RoomEntity.Publish("msg", ByteString.fromString("{\"body\":\"hi\"}"), "7", published.ref()),
        new RoomEntity.Publish("msg", ByteString.emptyByteString(), null, published.ref()),
        new RoomEntity.Published("7", "3w5e11264sgsf", 9L),
        new RoomEntity.Published(null, "1", 1L),
        new RoomEntity.Admit(localRoom.ref(), 5, null),
        new RoomEntity.Admit(localRoom.ref(), 5, new Position("k3j", 42)),
        new LocalRoom.Admitted(5, new Position("k3j", 0), null, List.of()),
        new LocalRoom.Admitted(6, new Position("k3j", 9), true, List.of(frame, ByteString.fromString("x"))),
        new LocalRoom.Admitted(7, new Position("k3j", 9), false, List.of()),
        new RoomEntity.GetHistory(3, kit.<RoomEntity.History>createTestProbe().ref()),
        new RoomEntity.History(new Position("k3j", 9), List.of(8L, 9L), List.of(frame, frame)),
        new LocalRoom.Refused(6, "room full"),
        new RoomEntity.MemberLeft(localRoom.ref()),
        new RoomEntity.Register(localRoom.ref(), 12),
        new LocalRooms.Locate("room:ü/x", entity.ref()),
        new RoomEntity.Located(node.ref(), localRoom.ref(), 3),
        new RoomEntity.Located(node.ref(), null, 0),
        new LocalRooms.GetLargest(10, largest.ref()),
        new LocalRooms.Largest("pekko://chorus@127.0.0.1:25520", 2, 7,
            List.of(new LocalRooms.RoomSize("room:a", 5), new LocalRooms.RoomSize("room:b", 2))));
    for (Object m : messages) assertEquals(m, roundTrip(m), "round trip of " + m);
  }

  @Test
  void theBindingChoosesTheRoomSerializerForCrossNodeMessages() {
    var serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
    assertEquals(RoomSerializer.class, serialization.findSerializerFor(new LocalRoom.Refused(1, "x")).getClass());
    assertEquals(RoomSerializer.class, serialization.findSerializerFor(new RoomEntity.Published("1", "e", 1)).getClass());
  }

  @Test
  void anUnknownManifestIsRefusedClearly() {
    var e = assertThrows(java.io.NotSerializableException.class, () -> serializer.fromBinary(new byte[0], "?"));
    assertTrue(e.getMessage().contains("unknown room message manifest"));
  }
}
