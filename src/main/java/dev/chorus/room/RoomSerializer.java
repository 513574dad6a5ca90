package dev.chorus.room;

import dev.chorus.metrics.Metrics;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.util.ByteString;

/**
 * The binary form of the room protocol between nodes ({@link CrossNode} messages). Written by
 * hand rather than with Jackson because a {@link LocalRoom.Deliver} crosses the network once per
 * publish and node: its rendered frame goes as raw bytes, with two longs in front.
 *
 * <p>Strings go as their UTF-8 bytes after an int length, never with {@code writeUTF} (its
 * modified UTF-8 is bounded to 65 535 bytes, which a long event of non-BMP text exceeds: the
 * message failed and was lost). Nothing here fails on size; what bounds a message's size is
 * its sender (a replay or a history read is sent in pages, {@link RoomEntity}).
 */
public final class RoomSerializer extends SerializerWithStringManifest {
  private static final int IDENTIFIER = 4_701_001;
  private final ExtendedActorSystem system;
  private volatile ActorRefResolver resolver; // the typed system is not ready when this is built
  private volatile Metrics metrics; // looked up once, at the first message: every cross-node message counts

  public RoomSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof LocalRoom.Deliver) return "D";
    // A binary publish has a manifest of its own, so that "P" stays what nodes without binary
    // messages read (a rolling upgrade).
    if (o instanceof RoomEntity.Publish p) return p.binary() ? "B" : "P";
    if (o instanceof RoomEntity.Published) return "p";
    if (o instanceof RoomEntity.Admit) return "A";
    if (o instanceof LocalRoom.Admitted) return "a";
    if (o instanceof LocalRoom.ReplayPage) return "c";
    if (o instanceof LocalRoom.Refused) return "r";
    if (o instanceof RoomEntity.MemberLeft) return "M";
    if (o instanceof RoomEntity.Register) return "R";
    if (o instanceof LocalRooms.Locate) return "L";
    if (o instanceof RoomEntity.Located) return "l";
    if (o instanceof LocalRooms.GetLargest) return "G";
    if (o instanceof LocalRooms.Largest) return "g";
    if (o instanceof RoomEntity.GetHistory) return "H";
    if (o instanceof RoomEntity.History) return "h";
    if (o instanceof LocalRoom.SendTail) return "S";
    if (o instanceof RoomEntity.Tail) return "t";
    if (o instanceof LocalRoom.CatchUp) return "u";
    if (o instanceof RoomEntity.Inspect) return "I";
    if (o instanceof RoomEntity.Inspection) return "i";
    if (o instanceof LocalRooms.GetMembers) return "N";
    if (o instanceof LocalRooms.TopicMembers) return "n";
    throw new IllegalArgumentException("not a cross-node room message: " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(o instanceof LocalRoom.Deliver d ? d.frame().size() + 24 : 128);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      if (o instanceof LocalRoom.Deliver m) {
        out.writeLong(m.seq());
        out.writeLong(m.publishedMicros());
        writeBytes(out, m.frame());
      } else if (o instanceof RoomEntity.Publish m) {
        writeString(out, m.event());
        writeBytes(out, m.payload());
        writeNullable(out, m.ref());
        writeRef(out, m.replyTo());
        writeNullable(out, m.userId()); // fields added later go last: older nodes stop reading before them
      } else if (o instanceof RoomEntity.Published m) {
        writeNullable(out, m.ref());
        writeString(out, m.epoch());
        out.writeLong(m.seq());
      } else if (o instanceof RoomEntity.Admit m) {
        writeRef(out, m.localRoom());
        out.writeLong(m.joinId());
        writeNullablePosition(out, m.since());
        writeNullablePosition(out, m.roomAt());
        writeNullable(out, m.userId());
      } else if (o instanceof LocalRoom.Admitted m) {
        out.writeLong(m.joinId());
        writePosition(out, m.at());
        out.writeByte(m.recovered() == null ? 0 : m.recovered() ? 1 : 2);
        writeNullable(out, m.reason());
        out.writeBoolean(m.last());
        writeFrames(out, m.replay());
      } else if (o instanceof LocalRoom.ReplayPage m) {
        out.writeLong(m.joinId());
        out.writeBoolean(m.last());
        writeFrames(out, m.frames());
      } else if (o instanceof LocalRoom.Refused m) {
        out.writeLong(m.joinId());
        writeString(out, m.reason());
      } else if (o instanceof RoomEntity.MemberLeft m) {
        writeRef(out, m.localRoom());
        writeNullable(out, m.userId());
      } else if (o instanceof RoomEntity.Register m) {
        writeRef(out, m.localRoom());
        out.writeInt(m.members());
        writeNullablePosition(out, m.at());
        writeUsers(out, m.users());
      } else if (o instanceof LocalRooms.Locate m) {
        writeString(out, m.topic());
        writeRef(out, m.entity());
      } else if (o instanceof RoomEntity.Located m) {
        writeRef(out, m.node());
        writeRef(out, m.localRoom());
        out.writeInt(m.members());
        writeNullablePosition(out, m.at());
        out.writeLong(m.oldestSeq());
        writeUsers(out, m.users());
      } else if (o instanceof LocalRooms.GetLargest m) {
        out.writeInt(m.limit());
        writeRef(out, m.replyTo());
      } else if (o instanceof LocalRooms.Largest m) {
        writeString(out, m.node());
        out.writeInt(m.rooms());
        out.writeInt(m.members());
        out.writeInt(m.largest().size());
        for (LocalRooms.RoomSize r : m.largest()) {
          writeString(out, r.topic());
          out.writeInt(r.members());
        }
      } else if (o instanceof RoomEntity.GetHistory m) {
        out.writeLong(m.afterSeq());
        writeRef(out, m.replyTo());
      } else if (o instanceof RoomEntity.History m) {
        writePosition(out, m.at());
        out.writeBoolean(m.more());
        writeSeqsAndFrames(out, m.seqs(), m.frames());
      } else if (o instanceof LocalRoom.SendTail m) {
        writeRef(out, m.entity());
      } else if (o instanceof RoomEntity.Tail m) {
        out.writeBoolean(m.more());
        writeSeqsAndFrames(out, m.seqs(), m.frames());
      } else if (o instanceof LocalRoom.CatchUp m) {
        writeString(out, m.epoch());
        out.writeLong(m.seq());
        out.writeBoolean(m.last());
        out.writeBoolean(m.complete());
        writeSeqsAndFrames(out, m.seqs(), m.frames());
      } else if (o instanceof RoomEntity.Inspect m) {
        writeRef(out, m.replyTo());
      } else if (o instanceof RoomEntity.Inspection m) {
        writeString(out, m.node());
        writePosition(out, m.at());
        out.writeInt(m.members());
        out.writeInt(m.historyMessages());
        out.writeLong(m.historyBytes());
      } else if (o instanceof LocalRooms.GetMembers m) {
        writeString(out, m.topic());
        writeRef(out, m.replyTo());
      } else if (o instanceof LocalRooms.TopicMembers m) {
        writeString(out, m.node());
        writeString(out, m.topic());
        out.writeInt(m.members());
      } else {
        throw new IllegalArgumentException("not a cross-node room message: " + o.getClass());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // Serialized only to cross to another node: what Chorus's own messages put on the cluster link.
    metrics().crossNodeBytes.add(bytes.size());
    return bytes.toByteArray();
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      switch (manifest) {
        case "D": {
          long seq = in.readLong();
          long micros = in.readLong();
          metrics().crossNodeDeliveriesReceived.increment();
          return new LocalRoom.Deliver(seq, readBytes(in), micros);
        }
        case "P":
          return new RoomEntity.Publish(readString(in), readBytes(in), readNullable(in), readRef(in), false, readLater(in));
        case "B":
          return new RoomEntity.Publish(readString(in), readBytes(in), readNullable(in), readRef(in), true, readLater(in));
        case "p":
          return new RoomEntity.Published(readNullable(in), readString(in), in.readLong());
        case "A":
          return new RoomEntity.Admit(readRef(in), in.readLong(), readNullablePosition(in), readNullablePosition(in), readLater(in));
        case "a": {
          long joinId = in.readLong();
          Position at = readPosition(in);
          byte recovered = in.readByte();
          String reason = readNullable(in);
          boolean last = in.readBoolean();
          return new LocalRoom.Admitted(joinId, at, recovered == 0 ? null : recovered == 1, reason, readFrames(in), last);
        }
        case "c": {
          long joinId = in.readLong();
          boolean last = in.readBoolean();
          return new LocalRoom.ReplayPage(joinId, readFrames(in), last);
        }
        case "r":
          return new LocalRoom.Refused(in.readLong(), readString(in));
        case "M":
          return new RoomEntity.MemberLeft(readRef(in), readLater(in));
        case "R":
          return new RoomEntity.Register(readRef(in), in.readInt(), readNullablePosition(in), readUsers(in));
        case "L":
          return new LocalRooms.Locate(readString(in), readRef(in));
        case "l":
          return new RoomEntity.Located(readRef(in), readRef(in), in.readInt(), readNullablePosition(in), in.readLong(), readUsers(in));
        case "G":
          return new LocalRooms.GetLargest(in.readInt(), readRef(in));
        case "g": {
          String node = readString(in);
          int rooms = in.readInt();
          int members = in.readInt();
          int n = in.readInt();
          List<LocalRooms.RoomSize> largest = new ArrayList<>(n);
          for (int i = 0; i < n; i++) largest.add(new LocalRooms.RoomSize(readString(in), in.readInt()));
          return new LocalRooms.Largest(node, rooms, members, List.copyOf(largest));
        }
        case "H":
          return new RoomEntity.GetHistory(in.readLong(), readRef(in));
        case "h": {
          Position at = readPosition(in);
          boolean more = in.readBoolean();
          List<Long> seqs = new ArrayList<>();
          List<ByteString> frames = readSeqsAndFrames(in, seqs);
          return new RoomEntity.History(at, List.copyOf(seqs), frames, more);
        }
        case "S":
          return new LocalRoom.SendTail(readRef(in));
        case "t": {
          boolean more = in.readBoolean();
          List<Long> seqs = new ArrayList<>();
          List<ByteString> frames = readSeqsAndFrames(in, seqs);
          return new RoomEntity.Tail(List.copyOf(seqs), frames, more);
        }
        case "u": {
          String epoch = readString(in);
          long seq = in.readLong();
          boolean last = in.readBoolean();
          boolean complete = in.readBoolean();
          List<Long> seqs = new ArrayList<>();
          List<ByteString> frames = readSeqsAndFrames(in, seqs);
          return new LocalRoom.CatchUp(epoch, seq, List.copyOf(seqs), frames, last, complete);
        }
        case "I":
          return new RoomEntity.Inspect(readRef(in));
        case "i":
          return new RoomEntity.Inspection(readString(in), readPosition(in), in.readInt(), in.readInt(), in.readLong());
        case "N":
          return new LocalRooms.GetMembers(readString(in), readRef(in));
        case "n":
          return new LocalRooms.TopicMembers(readString(in), readString(in), in.readInt());
        default:
          throw new NotSerializableException("unknown room message manifest '" + manifest + "'");
      }
    } catch (NotSerializableException e) {
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeBytes(DataOutputStream out, ByteString b) throws IOException {
    out.writeInt(b.size());
    for (java.nio.ByteBuffer buf : b.getByteBuffers()) {
      if (buf.hasArray()) {
        out.write(buf.array(), buf.arrayOffset() + buf.position(), buf.remaining());
      } else {
        byte[] copy = new byte[buf.remaining()];
        buf.get(copy);
        out.write(copy);
      }
    }
  }

  private static ByteString readBytes(DataInputStream in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return ByteString.fromArrayUnsafe(b);
  }

  private static void writeFrames(DataOutputStream out, List<ByteString> frames) throws IOException {
    out.writeInt(frames.size());
    for (ByteString frame : frames) writeBytes(out, frame);
  }

  private static List<ByteString> readFrames(DataInputStream in) throws IOException {
    int n = in.readInt();
    List<ByteString> frames = new ArrayList<>(Math.min(n, 1024));
    for (int i = 0; i < n; i++) frames.add(readBytes(in));
    return List.copyOf(frames);
  }

  /** A string as an int length and its UTF-8 bytes (standard UTF-8: a non-BMP character is 4 bytes). */
  static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(utf8.length);
    out.write(utf8);
  }

  static String readString(DataInputStream in) throws IOException {
    byte[] utf8 = new byte[in.readInt()];
    in.readFully(utf8);
    return new String(utf8, StandardCharsets.UTF_8);
  }

  private static void writePosition(DataOutputStream out, Position p) throws IOException {
    writeString(out, p.epoch());
    out.writeLong(p.seq());
  }

  private static Position readPosition(DataInputStream in) throws IOException {
    return new Position(readString(in), in.readLong());
  }

  private static void writeNullablePosition(DataOutputStream out, Position p) throws IOException {
    out.writeBoolean(p != null);
    if (p != null) writePosition(out, p);
  }

  private static Position readNullablePosition(DataInputStream in) throws IOException {
    return in.readBoolean() ? readPosition(in) : null;
  }

  /** Messages of a topic with their seqs (a history copy's page, a catch-up). */
  private static void writeSeqsAndFrames(DataOutputStream out, List<Long> seqs, List<ByteString> frames) throws IOException {
    out.writeInt(seqs.size());
    for (int i = 0; i < seqs.size(); i++) {
      out.writeLong(seqs.get(i));
      writeBytes(out, frames.get(i));
    }
  }

  /** The frames; their seqs are added to {@code seqs}. */
  private static List<ByteString> readSeqsAndFrames(DataInputStream in, List<Long> seqs) throws IOException {
    int n = in.readInt();
    List<ByteString> frames = new ArrayList<>(Math.min(n, 1024));
    for (int i = 0; i < n; i++) {
      seqs.add(in.readLong());
      frames.add(readBytes(in));
    }
    return List.copyOf(frames);
  }

  /**
   * A string field added after the message's first version, at its end: null when the message
   * ends before it (it came from a node that does not write it yet).
   */
  private static String readLater(DataInputStream in) throws IOException {
    return in.available() > 0 ? readNullable(in) : null;
  }

  /** Connections per user (user webhooks), or null; last in its message, like {@link #readLater}. */
  private static void writeUsers(DataOutputStream out, Map<String, Integer> users) throws IOException {
    out.writeBoolean(users != null);
    if (users == null) return;
    out.writeInt(users.size());
    for (Map.Entry<String, Integer> e : users.entrySet()) {
      writeString(out, e.getKey());
      out.writeInt(e.getValue());
    }
  }

  private static Map<String, Integer> readUsers(DataInputStream in) throws IOException {
    if (in.available() == 0 || !in.readBoolean()) return null;
    int n = in.readInt();
    Map<String, Integer> users = new HashMap<>(Math.min(n, 1024) * 2);
    for (int i = 0; i < n; i++) users.put(readString(in), in.readInt());
    return Map.copyOf(users);
  }

  private static void writeNullable(DataOutputStream out, String s) throws IOException {
    out.writeBoolean(s != null);
    if (s != null) writeString(out, s);
  }

  private static String readNullable(DataInputStream in) throws IOException {
    return in.readBoolean() ? readString(in) : null;
  }

  private void writeRef(DataOutputStream out, ActorRef<?> ref) throws IOException {
    writeString(out, ref == null ? "" : resolver().toSerializationFormat(ref));
  }

  private <T> ActorRef<T> readRef(DataInputStream in) throws IOException {
    String s = readString(in);
    return s.isEmpty() ? null : resolver().resolveActorRef(s);
  }

  private Metrics metrics() {
    Metrics m = metrics;
    if (m == null) metrics = m = Metrics.get(system);
    return m;
  }

  private ActorRefResolver resolver() {
    ActorRefResolver r = resolver;
    if (r == null) resolver = r = ActorRefResolver.get(Adapter.toTyped(system));
    return r;
  }
}
