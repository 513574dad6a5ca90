package dev.chorus.session;

import dev.chorus.protocol.Frame;
import dev.chorus.protocol.FrameCodec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A connection's joins, topic by topic: the pure core of a {@link Session}, with no actor in it.
 * A join is under way from the client's phx_join until the room admits it; only then is its
 * channel ({@code C}) known. Pushes that arrive meanwhile are held, because the room queues the
 * join's ok reply before the session learns of the channel, so a client (phoenix.js does) may
 * push at once: at most {@code maxEarlyPushes} per join, and at most {@code maxEarlyBytes} for
 * all joins of the connection together (each push counted as the whole frame it is, see
 * {@link FrameCodec#renderedSize(Frame)}, and held as a compact copy, so that what is held is
 * what is counted). Frames name their join by join_ref; one that names another join of the
 * topic is not this join's.
 *
 * @param <C> what a join's channel is (an actor reference in the session; anything in tests)
 */
final class JoinTable<C> {

  /** One join of the table; {@code channel} is null until the room admitted it. */
  static final class Join<C> {
    final String topic;
    final String joinRef;
    /** Made by the backend (POST /api/subscribe), not by a phx_join of the client. */
    final boolean serverSide;
    private C channel;
    private final List<Frame> early = new ArrayList<>();
    private long earlyBytes;

    private Join(String topic, String joinRef, boolean serverSide) {
      this.topic = topic;
      this.joinRef = joinRef;
      this.serverSide = serverSide;
    }

    C channel() {
      return channel;
    }
  }

  /** What to do with a client's push. */
  sealed interface PushDecision<C> {}

  /** No such join (or another join_ref): "unmatched topic". */
  record Unmatched<C>() implements PushDecision<C> {}

  /** Hand it to the join's channel. */
  record Forward<C>(C channel) implements PushDecision<C> {}

  /** Held until the join is admitted. */
  record Held<C>() implements PushDecision<C> {}

  private final int maxJoins;
  private final int maxEarlyPushes;
  private final long maxEarlyBytes;
  private final Map<String, Join<C>> joins = new HashMap<>();
  private long earlyBytes; // held for all joins

  JoinTable(int maxJoins, int maxEarlyPushes, long maxEarlyBytes) {
    this.maxJoins = maxJoins;
    this.maxEarlyPushes = maxEarlyPushes;
    this.maxEarlyBytes = maxEarlyBytes;
  }

  /**
   * The previous join of {@code topic}, removed: like Phoenix, a second join of a joined topic
   * replaces the first. Its held pushes are the caller's to refuse.
   */
  Join<C> replace(String topic) {
    return joins.remove(topic);
  }

  /** Starts a join; false (nothing added) when the connection has {@code maxJoins} already. */
  boolean start(String topic, String joinRef) {
    return start(topic, joinRef, false);
  }

  /** As {@link #start(String, String)}; {@code serverSide}: a join the backend made. */
  boolean start(String topic, String joinRef, boolean serverSide) {
    if (joins.size() >= maxJoins) return false;
    joins.put(topic, new Join<>(topic, joinRef, serverSide));
    return true;
  }

  /** The join a frame of {@code topic} naming {@code joinRef} belongs to (null joinRef: any), or null. */
  Join<C> matching(String topic, String joinRef) {
    Join<C> join = joins.get(topic);
    return join == null || (joinRef != null && !joinRef.equals(join.joinRef)) ? null : join;
  }

  /** Removes a join the client left; returns it with its held pushes (to refuse), or null. */
  Join<C> leave(String topic, String joinRef) {
    Join<C> join = matching(topic, joinRef);
    if (join != null) joins.remove(topic);
    return join;
  }

  /** Where a push of the client goes. */
  PushDecision<C> push(Frame push) {
    Join<C> join = matching(push.topic(), push.joinRef());
    if (join == null) return new Unmatched<>();
    if (join.channel != null) return new Forward<>(join.channel);
    int size = FrameCodec.renderedSize(push);
    if (join.early.size() >= maxEarlyPushes || earlyBytes + size > maxEarlyBytes) return new Unmatched<>();
    // The payload is a slice of the client's message: held alone, not with the whole message.
    join.early.add(push.payload().isCompact() ? push
        : new Frame(push.joinRef(), push.ref(), push.topic(), push.event(), push.payload().compact(), push.binary()));
    join.earlyBytes += size;
    earlyBytes += size;
    return new Held<>();
  }

  /**
   * The room admitted a join: the pushes held for it, to forward in order; null when that join
   * is no longer current (left or replaced meanwhile), so its new channel must be closed.
   */
  List<Frame> admitted(String topic, String joinRef, C channel) {
    Join<C> join = joins.get(topic);
    if (join == null || join.channel != null || !Objects.equals(join.joinRef, joinRef)) return null;
    join.channel = channel;
    return takeEarly(join);
  }

  /** The room refused a join: removed, its held pushes returned (to refuse); empty if it was not current. */
  List<Frame> refused(String topic, String joinRef) {
    Join<C> join = joins.get(topic);
    if (join == null || !Objects.equals(join.joinRef, joinRef)) return List.of();
    joins.remove(topic);
    return takeEarly(join);
  }

  /**
   * A channel stopped: if it is still the channel of its topic's join (it failed; a left or
   * replaced one is gone from the table), that join is removed and returned, else null.
   */
  Join<C> channelStopped(String topic, C channel) {
    Join<C> join = joins.get(topic);
    if (join == null || join.channel == null || !join.channel.equals(channel)) return null;
    joins.remove(topic);
    return join;
  }

  /** The pushes held for a join, removed from it. */
  List<Frame> takeEarly(Join<C> join) {
    List<Frame> early = List.copyOf(join.early);
    join.early.clear();
    earlyBytes -= join.earlyBytes;
    join.earlyBytes = 0;
    return early;
  }

  /** Bytes of pushes held for all joins under way. */
  long earlyBytes() {
    return earlyBytes;
  }

  /** The channels of every admitted join. */
  List<C> channels() {
    List<C> channels = new ArrayList<>();
    for (Join<C> join : joins.values()) if (join.channel != null) channels.add(join.channel);
    return channels;
  }

  int size() {
    return joins.size();
  }

  /** The topics of every join, admitted or under way, in order. */
  List<String> topics() {
    List<String> topics = new ArrayList<>(joins.keySet());
    topics.sort(null);
    return List.copyOf(topics);
  }
}
