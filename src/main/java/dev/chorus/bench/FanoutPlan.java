package dev.chorus.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Who is where in a fanout run, computed identically in every process: subscriber {@code g}
 * is in room {@code g % rooms}; the first {@code round(subscribers × slowFraction)} subscribers
 * are slow (so slow ones are spread over the rooms); publishers are separate connections.
 * Warm-up slow subscribers are extra: {@code w} is in room {@code w % rooms}, and they are
 * expected to be gone (closed by the server) before the measured phase.
 *
 * <p>Publishers are spread so that none exceeds the server's per-connection limits: the room
 * namespace allows 100 pushes/s per connection and topic (burst 200), and a connection may send
 * 200 frames/s in all, so each publisher sends at most {@code publisherRate} (default 50/s),
 * and joins at most 100 rooms (the server's max-joins).
 */
final class FanoutPlan {
  static final int MAX_ROOMS_PER_PUBLISHER = 100;

  final int subscribers;
  final int rooms;
  final int slowCount;
  final int warmupSlowCount;
  final int publishers;
  final double rate;
  final double ratePerPublisher;
  private final int[] healthyInRoom;
  private final int[] slowInRoom;

  FanoutPlan(int subscribers, int rooms, double rate, double slowFraction, double warmupSlowFraction, double publisherRate) {
    this.subscribers = subscribers;
    this.warmupSlowCount = (int) Math.round(subscribers * warmupSlowFraction);
    this.rooms = rooms;
    this.rate = rate;
    this.slowCount = (int) Math.round(subscribers * slowFraction);
    this.publishers = Math.max((int) Math.ceil(rate / publisherRate),
        (rooms + MAX_ROOMS_PER_PUBLISHER - 1) / MAX_ROOMS_PER_PUBLISHER);
    this.ratePerPublisher = rate / publishers;
    healthyInRoom = new int[rooms];
    slowInRoom = new int[rooms];
    for (int g = 0; g < subscribers; g++) {
      if (isSlow(g)) slowInRoom[roomOf(g)]++;
      else healthyInRoom[roomOf(g)]++;
    }
  }

  int roomOf(int subscriber) {
    return subscriber % rooms;
  }

  boolean isSlow(int subscriber) {
    return subscriber < slowCount;
  }

  int healthyInRoom(int room) {
    return healthyInRoom[room];
  }

  int slowInRoom(int room) {
    return slowInRoom[room];
  }

  double averageRoomSize() {
    return (double) subscribers / rooms;
  }

  /** The rooms publisher {@code p} joins and publishes to, round-robin. */
  List<Integer> roomsOf(int publisher) {
    List<Integer> mine = new ArrayList<>();
    if (rooms >= publishers) {
      for (int r = publisher; r < rooms; r += publishers) mine.add(r);
    } else {
      mine.add(publisher % rooms);
    }
    return mine;
  }
}
