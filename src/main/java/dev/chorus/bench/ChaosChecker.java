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
 * position {@code from} it is owed messages after, and the positions received as a {@link
 * BitSet} offset from it. Per topic and epoch, shared by all clients, the message seen at each
 * position (its publisher and counter, packed in a long) finds divergence; per publisher, the
 * position each of its messages was seen at finds one message sequenced twice.
 *
 * <p>How a client's gap is judged:
 * <ul>
 *   <li>owed, and counted {@code lost} when missing: every position after its first join in an
 *       epoch, up to the highest position anyone saw in that epoch (a broadcast or a join reply);
 *   <li>told, counted apart ({@code told_gap}): a join that asked to recover and was answered
 *       {@code "recovered": false} excuses the positions after the {@code since} it sent (to the
 *       reply's position in the same epoch; to the end of the old epoch when the reply is in a
 *       new one);
 *   <li>a broadcast in an epoch the client never joined (its room's entity restarted while the
 *       client stayed a member) starts a segment owed from position 0: the new incarnation
 *       numbers from 1, and a member that never left is owed all of it. Counted as an
 *       unannounced epoch switch.
 * </ul>
 *
 * Not thread-safe on its own terms, so every method takes the checker's lock: events come from
 * every event loop of the load generator, about ten thousand a second at most.
 */
final class ChaosChecker {
  /**
   * A broadcast this far past a client's join position is not believed (a corrupt seq would
   * otherwise size its BitSet); counted as implausible instead.
   */
  static final long MAX_SPAN = 1L << 24;
  private static final int SEQ_BITS = 40;
  private static final long SEQ_MASK = (1L << SEQ_BITS) - 1;

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
  private long duplicatedByClients, duplicatedPublishes, outOfOrder, diverged, recoveredFalse, recoveredTrue, replayed;
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
    epoch.saw(at.seq());
    if (Boolean.FALSE.equals(recovered)) {
      recoveredFalse++;
      recoveredFalseReasons.merge(reason == null ? "(none)" : reason, 1L, Long::sum);
    } else if (Boolean.TRUE.equals(recovered)) {
      recoveredTrue++;
      // what the reply promises to replay: the positions after since up to its own
      if (since != null && since.epoch().equals(at.epoch())) replayed += Math.max(0, at.seq() - since.seq());
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
   * Client {@code client} received a broadcast of {@code topic} at {@code at}, carrying publisher
   * {@code p}'s message number {@code n} ({@code p < 0}: a payload that is no chaos publish).
   */
  synchronized void received(int client, int topic, Position at, int p, long n) {
    deliveries++;
    Epoch epoch = topic(topic).epoch(at.epoch());
    epoch.saw(at.seq());
    if (p >= 0 && n >= 0 && at.seq() <= SEQ_MASK) checkMessage(epoch, at.seq(), p, n);
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
    long offset = seq - segment.from - 1;
    if (offset >= MAX_SPAN) {
      implausible++;
      return;
    }
    if (segment.got.get((int) offset)) {
      duplicatedByClients++;
      return;
    }
    segment.got.set((int) offset);
    if (seq < segment.highest) outOfOrder++;
    segment.highest = Math.max(segment.highest, seq);
    segment.position = Math.max(segment.position, seq);
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
   * highest position anyone saw in it; true for a topic it has not joined yet is never given.
   */
  synchronized boolean caughtUp(int client, int topic) {
    Track track = tracks.get(key(client, topic));
    Topic t = topics.get(topic);
    if (track == null || track.current == null || t == null) return false;
    return track.current.epoch == t.latest && track.current.position >= t.latest.last;
  }

  synchronized Findings findings() {
    long lostByClients = 0, toldGap = 0;
    List<String> samples = new ArrayList<>();
    for (Map.Entry<Long, Track> t : tracks.entrySet()) {
      Track track = t.getValue();
      for (Segment s : track.segments.values()) {
        long end = Math.min(s.epoch.last, s.from + MAX_SPAN);
        if (end <= s.from) continue;
        long missing = missing(s, s.from, end);
        long excused = 0;
        for (long[] range : merged(s.excused)) {
          long a = Math.max(range[0], s.from), b = Math.min(range[1], end);
          if (b > a) excused += missing(s, a, b);
        }
        lostByClients += missing - excused;
        toldGap += excused;
        if (missing > excused && samples.size() < LOST_SAMPLES) samples.add(describe(t.getKey(), s, end));
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
    return new Findings(lostByClients + ackedUnseen, lostByClients, ackedUnseen,
        duplicatedByClients + duplicatedPublishes, duplicatedByClients, duplicatedPublishes, outOfOrder, diverged,
        recoveredTrue, replayed, recoveredFalse, Map.copyOf(recoveredFalseReasons), toldGap, epochChanges, unannouncedEpochSwitches,
        implausible, positions, deliveries, acked, List.copyOf(samples));
  }

  /** "client 12 room 3 epoch ab12: owed (0, 240] (joined|implicit), missing 1-10 17 (11), excused ..." */
  private static String describe(long key, Segment s, long end) {
    StringBuilder b = new StringBuilder();
    b.append("client ").append(key >>> 32).append(" room ").append((int) key).append(" epoch ").append(s.epoch.name)
        .append(": owed (").append(s.from).append(", ").append(end).append("] from ").append(s.implicit ? "a broadcast" : "a join")
        .append(", received up to ").append(s.highest).append(", missing");
    int ranges = 0;
    long count = 0;
    for (long seq = s.from + 1; seq <= end; ) {
      if (s.got.get((int) (seq - s.from - 1))) {
        seq++;
        continue;
      }
      long first = seq;
      while (seq <= end && !s.got.get((int) (seq - s.from - 1))) seq++;
      count += seq - first;
      if (ranges++ < 5) b.append(' ').append(first).append(seq - 1 > first ? "-" + (seq - 1) : "");
    }
    b.append(ranges > 5 ? " ..." : "").append(" (").append(count).append(')');
    for (long[] r : s.excused) b.append(", excused (").append(r[0]).append(", ").append(r[1] == Long.MAX_VALUE ? "end" : r[1]).append(']');
    return b.toString();
  }

  /** Positions in (a, b] the segment did not receive. */
  private static long missing(Segment s, long a, long b) {
    int from = (int) (a - s.from), to = (int) (b - s.from);
    return (to - from) - s.got.get(from, to).cardinality();
  }

  /** The excused ranges (a, b], overlapping ones joined. */
  private static List<long[]> merged(List<long[]> ranges) {
    List<long[]> sorted = new ArrayList<>(ranges);
    sorted.sort((x, y) -> Long.compare(x[0], y[0]));
    List<long[]> out = new ArrayList<>();
    for (long[] r : sorted) {
      long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
      if (last != null && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else out.add(new long[] {r[0], r[1]});
    }
    return out;
  }

  /** The same message at one position for everybody, and one position for each message. */
  private void checkMessage(Epoch epoch, long seq, int p, long n) {
    long message = ((long) (p + 1) << SEQ_BITS) | (n & SEQ_MASK);
    long before = epoch.messages.get(seq);
    if (before == 0) {
      epoch.messages.put(seq, message);
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
    /** The highest position anyone saw in this epoch: a broadcast's or a join reply's. */
    long last;
    /** seq -> the message seen there, (p + 1) << 40 | n. */
    final LongTable messages = new LongTable();
    final Set<Long> divergedAt = new HashSet<>();
    long distinct;

    Epoch(int id, String name) {
      this.id = id;
      this.name = name;
    }

    void saw(long seq) {
      last = Math.max(last, seq);
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
    /** Bit i: position from + 1 + i received. */
    final BitSet got = new BitSet();
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
