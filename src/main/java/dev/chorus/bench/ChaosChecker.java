package dev.chorus.bench;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the clients of a chaos run saw, held against what the protocol promises (docs/protocol.md
 * §8): every message of a topic after a client's join position reaches it exactly once and in
 * order, its recoveries included, and every client sees the same message at a position. Pure:
 * it is told events (a join answered, a broadcast received, a push acked) and knows no socket
 * or clock; {@link #findings()} adds it up.
 *
 * <p>Per client and topic it keeps one {@code Segment} per epoch the client was in: the join
 * position {@code from} it is owed messages after, and the positions received (a
 * {@link LongTable} used as a set: positions are sparse, a restarted room moves its seq on by a
 * million). Per topic and epoch, shared by all clients, the message seen at each
 * position (its publisher and counter, packed in a long) finds divergence; per publisher, the
 * position each of its messages was seen at finds one message sequenced twice.
 *
 * <p>How a client's gap is judged:
 * <ul>
 *   <li>owed, and counted {@code lost} when missing: every position after its first join in an
 *       epoch at which anyone received a message (seqs are positions, not counts: they may skip,
 *       and a join reply's position says nothing of what exists before it);
 *   <li>told, counted apart ({@code told_gap}): a join that asked to recover and was answered
 *       {@code "recovered": false} excuses the positions after the {@code since} it sent (to the
 *       reply's position in the same epoch; to the end of the old epoch when the reply is in a
 *       new one);
 *   <li>a broadcast in an epoch the client never joined (its room's entity restarted while the
 *       client stayed a member) starts a segment owed from position 0: the new incarnation
 *       numbers from 1, and a member that never left is owed all of it. Counted as an
 *       unannounced epoch switch;
 *   <li>gone with its node, counted apart ({@code lost_with_node}): what docs/protocol.md §8
 *       does not promise. A room's entity sends each message to its own node's members and, over
 *       the cluster's links, to the other nodes'; killed in between, it leaves a message that
 *       only clients of its node received, which no survivor has a copy of, and whose publisher
 *       was never answered. A missed position is that when its push was never acked, every
 *       client that received it did so on a connection that then ended without a close frame
 *       (its server gone: {@link #connectionLost}), and the client that missed it received
 *       nothing more of that incarnation: its next position is a take-up gap past its previous
 *       one (a restarted entity moves the seq on by {@link #TAKE_UP_GAP}), as the links keep
 *       order and a survivor misses only the dead entity's last messages.
 * </ul>
 *
 * Not thread-safe on its own terms, so every method takes the checker's lock: events come from
 * every event loop of the load generator, about ten thousand a second at most.
 */
final class ChaosChecker {
  private static final int SEQ_BITS = 40;
  private static final long SEQ_MASK = (1L << SEQ_BITS) - 1;
  /** How far a restarted room entity moves its seq on past the position it takes up (docs/protocol.md §8). */
  static final long TAKE_UP_GAP = 1_000_000;

  /** A position of a topic's message: {@code "<epoch>:<seq>"} on the wire. */
  record Position(String epoch, long seq) {
    /** Parses a broadcast's ref; null if it is not a position. */
    static Position parse(String ref) {
      if (ref == null) return null;
      int colon = ref.lastIndexOf(':');
      if (colon <= 0 || colon == ref.length() - 1) return null;
      try {
        long seq = Long.parseLong(ref.substring(colon + 1));
        return seq < 0 ? null : new Position(ref.substring(0, colon), seq);
      } catch (NumberFormatException e) {
        return null;
      }
    }

    @Override
    public String toString() {
      return epoch + ":" + seq;
    }
  }

  /** What the run amounts to; see {@link ChaosChecker} for how each count is decided. */
  record Findings(
      long lost,
      long lostByClients,
      long lostWithNode,
      long ackedUnseen,
      long duplicated,
      long duplicatedByClients,
      long duplicatedPublishes,
      long outOfOrder,
      long diverged,
      long recoveredTrue,
      long replayed,
      long recoveredFalse,
      Map<String, Long> recoveredFalseReasons,
      long toldGap,
      long epochChanges,
      long unannouncedEpochSwitches,
      long implausible,
      long positions,
      long deliveries,
      long acked,
      List<String> lostSamples) {}

  /** Segments with lost positions described in the findings, for a human to look into. */
  static final int LOST_SAMPLES = 12;

  private final Map<Integer, Topic> topics = new HashMap<>();
  private final Map<Long, Track> tracks = new HashMap<>();
  private final Map<Integer, Publisher> publishers = new HashMap<>();
  private final List<Epoch> epochsById = new ArrayList<>();
  private final Map<String, Long> recoveredFalseReasons = new TreeMap<>();
  /** Per client, the numbers of its connections that ended without a close frame. */
  private final Map<Integer, BitSet> lostConnections = new HashMap<>();
  private long duplicatedByClients, duplicatedPublishes, outOfOrder, diverged, recoveredFalse, recoveredTrue;
  private long unannouncedEpochSwitches, implausible, deliveries, acked;
  /** Acked pushes nobody has received yet, kept up to date so a run can wait for it to reach 0. */
  private long ackedNotYetSeen;

  /**
   * Client {@code client}'s join of {@code topic} was answered ok at {@code at}. {@code since} is
   * the position the join asked to recover from (null for a fresh join); {@code recovered} is the
   * reply's answer to it (null when it did not ask), {@code reason} the reply's reason for false.
   */
  synchronized void joined(int client, int topic, Position since, Position at, Boolean recovered, String reason) {
    Epoch epoch = topic(topic).epoch(at.epoch());
    if (Boolean.FALSE.equals(recovered)) {
      recoveredFalse++;
      recoveredFalseReasons.merge(reason == null ? "(none)" : reason, 1L, Long::sum);
    } else if (Boolean.TRUE.equals(recovered)) {
      recoveredTrue++;
      // what the reply promises to replay: the messages after since up to its own (counted at the end)
      if (since != null && since.epoch().equals(at.epoch())) epoch.recoveries.add(new long[] {since.seq(), at.seq()});
    }
    Track track = track(client, topic);
    Segment current = track.current;
    if (current == null) {
      track.start(epoch, at.seq());
      return;
    }
    long sinceSeq = since != null && since.epoch().equals(current.epoch.name) ? since.seq() : current.position;
    if (current.epoch == epoch) {
      // Recovered: the replay follows and fills the gap. Told it could not be: the gap is excused.
      if (Boolean.FALSE.equals(recovered)) current.excuse(sinceSeq, at.seq());
      return;
    }
    if (Boolean.FALSE.equals(recovered)) {
      current.excuse(sinceSeq, Long.MAX_VALUE); // the rest of the old epoch is gone, and it was told
    } else {
      unannouncedEpochSwitches++; // moved to another epoch without being told it missed anything
    }
    Segment back = track.segments.get(epoch.id);
    if (back != null) track.current = back;
    else track.start(epoch, at.seq());
  }

  /**
   * Client {@code client} received a broadcast of {@code topic} at {@code at} on its connection
   * number {@code connection} (1 for its first), carrying publisher {@code p}'s message number
   * {@code n} ({@code p < 0}: a payload that is no chaos publish).
   */
  synchronized void received(int client, int connection, int topic, Position at, int p, long n) {
    if (connection < 1) throw new IllegalArgumentException("connections are numbered from 1");
    deliveries++;
    if (at.seq() > SEQ_MASK) {
      implausible++; // a corrupt position, not believed
      return;
    }
    Epoch epoch = topic(topic).epoch(at.epoch());
    epoch.saw(at.seq());
    if (p >= 0 && n >= 0) checkMessage(epoch, at.seq(), p, n);
    Track track = track(client, topic);
    Segment segment = track.segments.get(epoch.id);
    if (segment == null) {
      if (track.current != null) unannouncedEpochSwitches++;
      segment = track.start(epoch, 0);
      segment.implicit = true;
    }
    long seq = at.seq();
    if (seq <= segment.from) {
      outOfOrder++; // at or before its join position: the join said that one came earlier
      return;
    }
    if (segment.got.get(seq) != 0) {
      duplicatedByClients++;
      return;
    }
    segment.got.put(seq, connection);
    if (seq < segment.highest) outOfOrder++;
    segment.highest = Math.max(segment.highest, seq);
    segment.position = Math.max(segment.position, seq);
  }

  /**
   * Client {@code client}'s connection number {@code connection} ended without a close frame,
   * and not by the client's doing: its server went away (a SIGKILL, a crash, a cut link).
   */
  synchronized void connectionLost(int client, int connection) {
    lostConnections.computeIfAbsent(client, c -> new BitSet()).set(connection);
  }

  /** Publisher {@code p}'s push number {@code n} was answered ok: the room sequenced it. */
  synchronized void acked(int p, long n) {
    if (n < 0 || n > Integer.MAX_VALUE) {
      implausible++;
      return;
    }
    Publisher pub = publisher(p);
    if (pub.acked.get((int) n)) return;
    acked++;
    pub.acked.set((int) n);
    if (pub.seenAt.get(n) == 0) ackedNotYetSeen++;
  }

  /** Acked pushes that no client has received (yet): an ack and its broadcast race each other. */
  synchronized long ackedNotYetSeen() {
    return ackedNotYetSeen;
  }

  /**
   * Whether {@code client} stands, in {@code topic}, at the newest epoch and at or past the
   * highest position at which anyone received a message in it; true for a topic it has not joined yet is never given.
   */
  synchronized boolean caughtUp(int client, int topic) {
    Track track = tracks.get(key(client, topic));
    Topic t = topics.get(topic);
    if (track == null || track.current == null || t == null) return false;
    return track.current.epoch == t.latest && track.current.position >= t.latest.last;
  }

  synchronized Findings findings() {
    long lostByClients = 0, toldGap = 0, lostWithNode = 0;
    List<String> samples = new ArrayList<>();
    long replayed = 0;
    for (Epoch e : epochsById) {
      e.sortSeqs();
      for (long[] r : e.recoveries) replayed += e.messagesIn(r[0], r[1]);
    }
    for (Map.Entry<Long, Track> t : tracks.entrySet()) {
      Track track = t.getValue();
      for (Segment s : track.segments.values()) {
        List<Long> missing = missing(s);
        long excused = 0, withNode = 0;
        for (long seq : missing) {
          if (s.isExcused(seq)) excused++;
          else if (goneWithItsNode(s, seq)) withNode++;
        }
        lostByClients += missing.size() - excused - withNode;
        toldGap += excused;
        lostWithNode += withNode;
        if (missing.size() > excused + withNode && samples.size() < LOST_SAMPLES) samples.add(describe(t.getKey(), s, missing));
      }
    }
    long ackedUnseen = 0;
    for (Publisher pub : publishers.values()) {
      for (int n = pub.acked.nextSetBit(0); n >= 0; n = pub.acked.nextSetBit(n + 1)) {
        if (pub.seenAt.get(n) == 0) ackedUnseen++;
      }
    }
    long epochChanges = 0, positions = 0;
    for (Topic t : topics.values()) {
      epochChanges += t.epochs.size() - 1;
      for (Epoch e : t.epochs.values()) positions += e.distinct;
    }
    return new Findings(lostByClients + ackedUnseen, lostByClients, lostWithNode, ackedUnseen,
        duplicatedByClients + duplicatedPublishes, duplicatedByClients, duplicatedPublishes, outOfOrder, diverged,
        recoveredTrue, replayed, recoveredFalse, Map.copyOf(recoveredFalseReasons), toldGap, epochChanges, unannouncedEpochSwitches,
        implausible, positions, deliveries, acked, List.copyOf(samples));
  }

  /** "client 12 room 3 epoch ab12: owed after 0 (a join|a broadcast), received up to 240, missing 1 2 17 (3), excused ..." */
  private static String describe(long key, Segment s, List<Long> missing) {
    StringBuilder b = new StringBuilder();
    b.append("client ").append(key >>> 32).append(" room ").append((int) key).append(" epoch ").append(s.epoch.name)
        .append(": owed after ").append(s.from).append(" from ").append(s.implicit ? "a broadcast" : "a join")
        .append(", received up to ").append(s.highest).append(", missing");
    for (int i = 0; i < Math.min(10, missing.size()); i++) b.append(' ').append(missing.get(i));
    b.append(missing.size() > 10 ? " ..." : "").append(" (").append(missing.size()).append(')');
    for (long[] r : s.excused) b.append(", excused (").append(r[0]).append(", ").append(r[1] == Long.MAX_VALUE ? "end" : r[1]).append(']');
    return b.toString();
  }

  /**
   * Whether segment {@code s}'s missing position {@code seq} went down with its room's node (see
   * the class's comment): never acked, received only on connections lost since, and past the
   * last message of its incarnation that {@code s} received.
   */
  private boolean goneWithItsNode(Segment s, long seq) {
    long message = s.epoch.messages.get(seq);
    int p = (int) (message >>> SEQ_BITS) - 1;
    long n = message & SEQ_MASK;
    if (p < 0 || n > Integer.MAX_VALUE || publisher(p).acked.get((int) n)) return false;
    long before = s.from, after = -1;
    for (long other : s.epoch.sortedSeqs) {
      if (s.got.get(other) == 0) continue;
      if (other < seq) before = other;
      else if (after < 0) after = other;
    }
    if (after >= 0 && after < before + TAKE_UP_GAP) return false; // a gap inside one incarnation
    for (Map.Entry<Long, Track> t : tracks.entrySet()) {
      Segment other = t.getValue().segments.get(s.epoch.id); // epochs are the topic's own
      long connection = other == null ? 0 : other.got.get(seq);
      if (connection == 0) continue;
      BitSet lost = lostConnections.get((int) (t.getKey() >>> 32));
      if (lost == null || !lost.get((int) connection)) return false;
    }
    return true;
  }

  /** The positions after the segment's join at which anyone received a message, and it did not, in order. */
  private static List<Long> missing(Segment s) {
    List<Long> out = new ArrayList<>();
    for (long seq : s.epoch.sortedSeqs) if (seq > s.from && s.got.get(seq) == 0) out.add(seq);
    return out;
  }

  /** The same message at one position for everybody, and one position for each message. */
  private void checkMessage(Epoch epoch, long seq, int p, long n) {
    long message = ((long) (p + 1) << SEQ_BITS) | (n & SEQ_MASK);
    long before = epoch.messages.get(seq);
    if (before == 0) {
      epoch.messages.put(seq, message);
      epoch.seqs.add(seq);
      epoch.distinct++;
    } else if (before != message && epoch.divergedAt.add(seq)) {
      diverged++;
    }
    Publisher pub = publisher(p);
    long where = ((long) (epoch.id + 1) << SEQ_BITS) | seq;
    long seen = pub.seenAt.get(n);
    if (seen == 0) {
      pub.seenAt.put(n, where);
      if (n <= Integer.MAX_VALUE && pub.acked.get((int) n)) ackedNotYetSeen--;
    } else if (seen != where && pub.duplicated.add(n)) duplicatedPublishes++;
  }

  private Topic topic(int topic) {
    return topics.computeIfAbsent(topic, t -> new Topic());
  }

  private Track track(int client, int topic) {
    return tracks.computeIfAbsent(key(client, topic), k -> new Track());
  }

  private Publisher publisher(int p) {
    return publishers.computeIfAbsent(p, k -> new Publisher());
  }

  private static long key(int client, int topic) {
    return ((long) client << 32) | (topic & 0xffffffffL);
  }

  private final class Topic {
    final Map<String, Epoch> epochs = new LinkedHashMap<>();
    /** The epoch seen last for the first time: where the topic stands now. */
    Epoch latest;

    Epoch epoch(String name) {
      Epoch e = epochs.get(name);
      if (e == null) {
        e = new Epoch(epochsById.size(), name);
        epochsById.add(e);
        epochs.put(name, e);
        latest = e;
      }
      return e;
    }
  }

  private static final class Epoch {
    final int id;
    final String name;
    /** The highest position at which anyone received a message in this epoch. */
    long last;
    /** seq -> the message seen there, (p + 1) << 40 | n. */
    final LongTable messages = new LongTable();
    /** The positions of {@link #messages}, as first seen; {@link #sortedSeqs} in order, for the findings. */
    final List<Long> seqs = new ArrayList<>();
    /** Recovering joins answered "recovered": true, as (since, reply position). */
    final List<long[]> recoveries = new ArrayList<>();
    List<Long> sortedSeqs = List.of();
    final Set<Long> divergedAt = new HashSet<>();
    long distinct;

    Epoch(int id, String name) {
      this.id = id;
      this.name = name;
    }

    void saw(long seq) {
      last = Math.max(last, seq);
    }

    void sortSeqs() {
      sortedSeqs = seqs.stream().sorted().toList();
    }

    /** Positions in (after, upTo] at which a message was received, from {@link #sortedSeqs}. */
    long messagesIn(long after, long upTo) {
      return Math.max(0, upperIndex(upTo) - upperIndex(after));
    }

    /** How many of {@link #sortedSeqs} are at most {@code seq}. */
    private int upperIndex(long seq) {
      int i = java.util.Collections.binarySearch(sortedSeqs, seq);
      return i >= 0 ? i + 1 : -i - 1;
    }
  }

  private static final class Track {
    final Map<Integer, Segment> segments = new LinkedHashMap<>();
    Segment current;

    Segment start(Epoch epoch, long from) {
      Segment s = new Segment(epoch, from);
      segments.put(epoch.id, s);
      current = s;
      return s;
    }
  }

  private static final class Segment {
    final Epoch epoch;
    /** Owed every message after this position. */
    final long from;
    /** Positions received (value 1). */
    final LongTable got = new LongTable();
    /** Highest position received. */
    long highest;
    /** Where the client stands: received, joined at, or told to skip to. */
    long position;
    /** Started by a broadcast of an epoch the client never joined, not by a join. */
    boolean implicit;
    /** Ranges (a, b] a "recovered": false excused. */
    final List<long[]> excused = new ArrayList<>(0);

    Segment(Epoch epoch, long from) {
      this.epoch = epoch;
      this.from = from;
      this.highest = from;
      this.position = from;
    }

    boolean isExcused(long seq) {
      for (long[] r : excused) if (seq > r[0] && seq <= r[1]) return true;
      return false;
    }

    void excuse(long after, long upTo) {
      excused.add(new long[] {after, upTo});
      if (upTo != Long.MAX_VALUE) position = Math.max(position, upTo);
    }
  }

  private static final class Publisher {
    final BitSet acked = new BitSet();
    /** n -> where it was seen, (epoch id + 1) << 40 | seq. */
    final LongTable seenAt = new LongTable();
    final Set<Long> duplicated = new HashSet<>();
  }
}
