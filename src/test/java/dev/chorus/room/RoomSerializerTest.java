package dev.chorus.room;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
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
  static final ActorTestKit kit = ActorTestKit.create(
      // local first: pekko-overrides.conf says cluster, which would bind remoting's port 25520
      com.typesafe.config.ConfigFactory.parseString("pekko.actor.provider = local")
      .withFallback(com.typesafe.config.ConfigFactory.parseResources("pekko-overrides.conf"))
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
        new RoomEntity.Publish("file", ByteString.fromArray(new byte[] {0, (byte) 0xFF}), "7", published.ref(), true),
        new RoomEntity.Published("7", "3w5e11264sgsf", 9L),
        new RoomEntity.Published(null, "1", 1L),
        new RoomEntity.Admit(localRoom.ref(), 5, null),
        new RoomEntity.Admit(localRoom.ref(), 5, new Position("k3j", 42)),
        new RoomEntity.Admit(localRoom.ref(), 6, null, new Position("k3j", 40)),
        new LocalRoom.Admitted(5, new Position("k3j", 0), null, List.of()),
        new LocalRoom.Admitted(6, new Position("k3j", 9), true, List.of(frame, ByteString.fromString("x"))),
        new LocalRoom.Admitted(7, new Position("k3j", 9), false, List.of()),
        new LocalRoom.Admitted(8, new Position("k3j", 9), true, null, List.of(frame), false),
        new LocalRoom.Admitted(9, new Position("k3j", 9), false, "node busy", List.of(), true),
        new LocalRoom.ReplayPage(8, List.of(frame, frame), false),
        new LocalRoom.ReplayPage(8, List.of(frame), true),
        new RoomEntity.History(new Position("k3j", 9), List.of(8L), List.of(frame), true),
        new RoomEntity.GetHistory(3, kit.<RoomEntity.History>createTestProbe().ref()),
        new RoomEntity.History(new Position("k3j", 9), List.of(8L, 9L), List.of(frame, frame)),
        new LocalRoom.Refused(6, "room full"),
        new RoomEntity.MemberLeft(localRoom.ref()),
        new RoomEntity.Register(localRoom.ref(), 12),
        new LocalRooms.Locate("room:ü/x", entity.ref()),
        new RoomEntity.Located(node.ref(), localRoom.ref(), 3),
        new RoomEntity.Located(node.ref(), null, 0),
        new RoomEntity.Register(localRoom.ref(), 3, new Position("k3j", 7)),
        new RoomEntity.Located(node.ref(), localRoom.ref(), 3, new Position("k3j", 9), 4),
        new LocalRoom.SendTail(entity.ref()),
        new RoomEntity.Tail(List.of(8L, 9L), List.of(frame, frame), true),
        new RoomEntity.Tail(List.of(), List.of(), false),
        new LocalRoom.CatchUp("k3j", 9, List.of(9L), List.of(frame), true, true),
        new LocalRoom.CatchUp("k3j", 9, List.of(), List.of(), false, false),
        new LocalRooms.GetLargest(10, largest.ref()),
        new LocalRooms.Largest("pekko://chorus@127.0.0.1:25520", 2, 7,
            List.of(new LocalRooms.RoomSize("room:a", 5), new LocalRooms.RoomSize("room:b", 2))),
        // with the users of webhooks (fields added last)
        new RoomEntity.Publish("typing", ByteString.fromString("{}"), "7", published.ref(), false, "ann"),
        new RoomEntity.Admit(localRoom.ref(), 6, null, new Position("k3j", 40), "ann"),
        new RoomEntity.MemberLeft(localRoom.ref(), "ann"),
        new RoomEntity.Register(localRoom.ref(), 3, new Position("k3j", 7), Map.of("ann", 2, "bob", 1)),
        new RoomEntity.Register(localRoom.ref(), 0, null, Map.of()),
        new RoomEntity.Located(node.ref(), localRoom.ref(), 3, new Position("k3j", 9), 4, Map.of("ann", 3)),
        // the admin API's topic inspector
        new RoomEntity.Inspect(kit.<RoomEntity.Inspection>createTestProbe().ref()),
        new RoomEntity.Inspection("pekko://chorus@127.0.0.1:25520", new Position("k3j", 12), 3, 12, 2048),
        new LocalRooms.GetMembers("room:ü/x", kit.<LocalRooms.TopicMembers>createTestProbe().ref()),
        new LocalRooms.TopicMembers("pekko://chorus@127.0.0.1:25520", "room:ü/x", 2));
    for (Object m : messages) assertEquals(m, roundTrip(m), "round trip of " + m);
  }

  /**
   * A binary message crosses nodes as it is: its publish under a manifest of its own (so a JSON
   * publish stays "P", as nodes without binary messages read it), and its rendered binary frame,
   * any bytes, in every message that carries frames.
   */
  @Test
  void binaryMessagesRoundTripUnchanged() throws Exception {
    TestProbe<RoomEntity.Published> published = kit.createTestProbe();
    byte[] bytes = new byte[70_000]; // past a 2-byte length: the frame's 8-byte length form
    java.util.concurrent.ThreadLocalRandom.current().nextBytes(bytes);
    ByteString payload = ByteString.fromArray(bytes);
    RoomEntity.Publish binary = new RoomEntity.Publish("file", payload, "7", published.ref(), true);
    assertEquals("B", serializer.manifest(binary));
    assertEquals(binary, roundTrip(binary));
    RoomEntity.Publish json = new RoomEntity.Publish("msg", ByteString.fromString("{}"), "8", published.ref());
    assertEquals("P", serializer.manifest(json));
    assertFalse(((RoomEntity.Publish) roundTrip(json)).binary());

    ByteString frame = dev.chorus.transport.WebSocketFrames.binaryBytes(
        dev.chorus.protocol.BinaryCodec.encodeBroadcast("room:a", "file", payload));
    assertTrue(dev.chorus.transport.WebSocketFrames.isBinary(frame));
    List<Object> messages = List.of(
        new LocalRoom.Deliver(3, frame, 1_700_000_000_000_000L),
        new LocalRoom.Admitted(6, new Position("k3j", 9), true, null, List.of(frame), false),
        new LocalRoom.ReplayPage(6, List.of(frame), true),
        new RoomEntity.History(new Position("k3j", 9), List.of(3L), List.of(frame), false),
        new RoomEntity.Tail(List.of(3L), List.of(frame), false),
        new LocalRoom.CatchUp("k3j", 9, List.of(3L), List.of(frame), true, true));
    for (Object m : messages) assertEquals(m, roundTrip(m), "round trip of a " + m.getClass().getSimpleName());
    LocalRoom.Deliver back = (LocalRoom.Deliver) roundTrip(messages.get(0));
    assertEquals(frame, back.frame());
    assertEquals(payload, dev.chorus.protocol.BinaryCodec.decodeBroadcast(dev.chorus.transport.WebSocketFrames.payload(back.frame())).payload());
  }

  @Test
  void theBindingChoosesTheRoomSerializerForCrossNodeMessages() {
    var serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
    assertEquals(RoomSerializer.class, serialization.findSerializerFor(new LocalRoom.Refused(1, "x")).getClass());
    assertEquals(RoomSerializer.class, serialization.findSerializerFor(new RoomEntity.Published("1", "e", 1)).getClass());
    assertEquals(RoomSerializer.class, serialization.findSerializerFor(
        new LocalRooms.TopicMembers("pekko://chorus@127.0.0.1:25520", "room:a", 1)).getClass());
  }

  @Test
  void anUnknownManifestIsRefusedClearly() {
    var e = assertThrows(java.io.NotSerializableException.class, () -> serializer.fromBinary(new byte[0], "?"));
    assertTrue(e.getMessage().contains("unknown room message manifest"));
  }

  /** 100 000 characters of non-BMP text (a quarter of them emoji, 4 bytes each in UTF-8). */
  static final String LONG = ("\ud83d\ude00\u00e9a\u20ac").repeat(25_000);

  @Test
  void stringsOfAnyLengthAndAnyTextRoundTrip() throws Exception {
    assertTrue(LONG.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 65_535, "more than writeUTF could carry");
    TestProbe<RoomEntity.Published> published = kit.createTestProbe();
    TestProbe<RoomEntity.Command> entity = kit.createTestProbe();
    TestProbe<LocalRooms.Largest> largest = kit.createTestProbe();
    List<Object> messages = List.of(
        new RoomEntity.Publish(LONG, ByteString.fromString("{\"t\":\"" + LONG + "\"}"), LONG, published.ref()),
        new RoomEntity.Published(LONG, LONG, 1L),
        new LocalRoom.Refused(1, LONG),
        new LocalRoom.Admitted(1, new Position(LONG, 3), false, LONG, List.of(), true),
        new LocalRooms.Locate("room:" + LONG, entity.ref()),
        new LocalRooms.Largest(LONG, 1, 1, List.of(new LocalRooms.RoomSize("room:" + LONG, 1))));
    for (Object m : messages) {
      Object back = roundTrip(m);
      assertEquals(m, back, "round trip of a " + m.getClass().getSimpleName());
    }
  }

  @Test
  void aFullDefaultReplayGoesInPagesThatEachFitArterysFrame() throws Exception {
    // history-size x max-message-bytes: 100 frames of 16 KiB
    ByteString frame16k = ByteString.fromString("x".repeat(16 * 1024));
    List<ByteString> replay = java.util.Collections.nCopies(100, frame16k);
    List<List<ByteString>> pages = RoomEntity.pages(replay, RoomFixtures.SETTINGS.replayPageBytes());
    assertTrue(pages.size() > 1);
    assertEquals(100, pages.stream().mapToInt(List::size).sum());
    for (int i = 0; i < pages.size(); i++) {
      Object m = i == 0
          ? new LocalRoom.Admitted(1, new Position("e", 100), true, null, pages.get(0), pages.size() == 1)
          : new LocalRoom.ReplayPage(1, pages.get(i), i == pages.size() - 1);
      int size = serializer.toBinary(m).length;
      assertTrue(size < 256 * 1024 - 4 * 1024, "page " + i + " is " + size + " bytes, Artery's frame 256 KiB");
      assertEquals(m, roundTrip(m));
    }
  }
}
