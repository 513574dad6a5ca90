package dev.chorus.webhooks;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Who is in a topic, cluster-wide, as its room entity learns it from the local rooms
 * ({@code K}: a local room): members per local room, and connections per user per local room.
 * Each change says what it made happen: the topic's first member came (occupied) or its last
 * left (vacated), a user's first connection came (arrived) or their last left (gone). Pure: the
 * entity turns the changes into webhook events.
 *
 * <p>Users are counted up to {@code maxUsers} distinct ones (the namespace's max-members: a
 * room never holds more members, so more users only come from a confused restatement); beyond
 * it a member is counted, its user is not.
 */
public final class Occupancy<K> {

  /** What one update made happen; users in the order they changed. */
  public record Changes(boolean occupied, boolean vacated, List<String> arrived, List<String> gone) {
    public static final Changes NONE = new Changes(false, false, List.of(), List.of());

    public boolean isEmpty() {
      return !occupied && !vacated && arrived.isEmpty() && gone.isEmpty();
    }
  }

  private final int maxUsers;
  private final Map<K, Integer> membersByRoom = new HashMap<>();
  private final Map<K, Map<String, Integer>> usersByRoom = new HashMap<>();
  private final Map<String, Integer> users = new HashMap<>();
  private int members;

  public Occupancy(int maxUsers) {
    this.maxUsers = maxUsers;
  }

  /** Members, all rooms together. */
  public int members() {
    return members;
  }

  /** Distinct users counted. */
  public int users() {
    return users.size();
  }

  public boolean has(String user) {
    return users.containsKey(user);
  }

  /** One member of {@code user} (null: unknown) joined in {@code room}. */
  public Changes joined(K room, String user) {
    Update u = new Update();
    membersByRoom.merge(room, 1, Integer::sum);
    members++;
    if (user != null) addUser(room, user, 1, u);
    return u.done();
  }

  /**
   * One member of {@code user} left {@code room}; a null user (the room no longer knew it) lowers
   * the member count only, and a leave the count does not know of changes nothing.
   */
  public Changes left(K room, String user) {
    Update u = new Update();
    int count = membersByRoom.getOrDefault(room, 0);
    if (count == 0) return Changes.NONE;
    setRoomMembers(room, count - 1);
    if (user != null) addUser(room, user, -1, u);
    return u.done();
  }

  /**
   * A room states what it holds: {@code members}, and per user ({@code users}, null: it did not
   * say). Taken when the room was unknown here (a restarted entity learning its rooms, a room
   * that answered late), and its users when it states as many members as counted here (a leave
   * this count missed); else ignored: a room's statement can be older than the joins and
   * leaves it sent since (a join counts at the room only once the entity has answered it), and
   * taking it then would make the topic or its users leave and come back. Joins, leaves and
   * {@link #gone} keep a known room's count.
   */
  public Changes restate(K room, int members, Map<String, Integer> users) {
    int before = membersByRoom.getOrDefault(room, 0);
    if (members <= 0 || (before != 0 && members != before)) return Changes.NONE;
    Update u = new Update();
    setRoomMembers(room, members);
    if (users != null) {
      Map<String, Integer> old = usersByRoom.getOrDefault(room, Map.of());
      for (var e : List.copyOf(old.entrySet())) {
        int want = users.getOrDefault(e.getKey(), 0);
        if (want < e.getValue()) addUser(room, e.getKey(), want - e.getValue(), u);
      }
      for (var e : users.entrySet()) {
        int have = usersByRoom.getOrDefault(room, Map.of()).getOrDefault(e.getKey(), 0);
        if (e.getValue() > have) addUser(room, e.getKey(), e.getValue() - have, u);
      }
    }
    return u.done();
  }

  /** The room is gone (it stopped, or its node did): its members and users with it. */
  public Changes gone(K room) {
    Update u = new Update();
    setRoomMembers(room, 0);
    for (var e : List.copyOf(usersByRoom.getOrDefault(room, Map.of()).entrySet())) addUser(room, e.getKey(), -e.getValue(), u);
    return u.done();
  }

  private void setRoomMembers(K room, int count) {
    Integer before = count > 0 ? membersByRoom.put(room, count) : membersByRoom.remove(room);
    members += count - (before == null ? 0 : before);
  }

  /** Adds {@code delta} connections of {@code user} in {@code room}, noting a user's first and last. */
  private void addUser(K room, String user, int delta, Update u) {
    Map<String, Integer> inRoom = usersByRoom.get(room);
    int inRoomBefore = inRoom == null ? 0 : inRoom.getOrDefault(user, 0);
    int inRoomAfter = Math.max(inRoomBefore + delta, 0);
    if (inRoomAfter == inRoomBefore) return;
    int total = users.getOrDefault(user, 0);
    if (total == 0 && users.size() >= maxUsers) return; // over the bound: not counted
    if (inRoom == null) usersByRoom.put(room, inRoom = new HashMap<>());
    if (inRoomAfter == 0) {
      inRoom.remove(user);
      if (inRoom.isEmpty()) usersByRoom.remove(room);
    } else {
      inRoom.put(user, inRoomAfter);
    }
    int after = total + inRoomAfter - inRoomBefore;
    if (after <= 0) {
      users.remove(user);
      if (total > 0) u.gone.add(user);
    } else {
      users.put(user, after);
      if (total == 0) u.arrived.add(user);
    }
  }

  /** The changes of one update: the topic's occupancy is compared before and after. */
  private final class Update {
    final boolean wasOccupied = members > 0;
    final List<String> arrived = new ArrayList<>(1);
    final List<String> gone = new ArrayList<>(1);

    Changes done() {
      boolean occupied = members > 0;
      if (occupied == wasOccupied && arrived.isEmpty() && gone.isEmpty()) return Changes.NONE;
      return new Changes(occupied && !wasOccupied, wasOccupied && !occupied, List.copyOf(arrived), List.copyOf(gone));
    }
  }
}
