package dev.chorus.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChaosPlanTest {
  @Test
  void everyRoomHasMembersStartingOnEveryNode() {
    ChaosPlan plan = new ChaosPlan(300, 10, 2, 3, 1, 100);
    int[][] members = new int[10][3];
    for (int i = 0; i < plan.clients; i++) {
      int[] rooms = plan.roomsOf(i);
      assertEquals(2, rooms.length);
      assertTrue(rooms[0] != rooms[1], "distinct rooms");
      for (int r : rooms) members[r][plan.firstNode(i)]++;
    }
    for (int r = 0; r < 10; r++) {
      for (int n = 0; n < 3; n++) assertEquals(20, members[r][n], "room " + r + " node " + n);
    }
  }

  @Test
  void eachRoomHasOnePublisherAndPublishersSpreadOverNodes() {
    ChaosPlan plan = new ChaosPlan(300, 10, 2, 3, 1, 100);
    assertEquals(3, plan.publishers);
    assertEquals(303, plan.total());
    Set<Integer> rooms = new HashSet<>();
    for (int k = 0; k < plan.publishers; k++) {
      int id = plan.clients + k;
      assertTrue(plan.isPublisher(id));
      assertEquals(k, plan.firstNode(id));
      for (int r : plan.roomsOf(id)) assertTrue(rooms.add(r), "room " + r + " has one publisher");
    }
    assertEquals(10, rooms.size());
    assertArrayEquals(new int[] {0, 3, 6, 9}, plan.publisherRooms(0));
    assertEquals(100.0 / 3, plan.ratePerPublisher, 1e-9);
  }

  @Test
  void morePublishersThanRoomsShareRooms() {
    ChaosPlan plan = new ChaosPlan(10, 2, 1, 2, 2, 10);
    assertArrayEquals(new int[] {1}, plan.publisherRooms(3));
  }

  @Test
  void ratesOverTheServersLimitsAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ChaosPlan(300, 10, 2, 3, 1, 1000));
    assertTrue(e.getMessage().contains("--publishers-per-node"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ChaosPlan(300, 1, 1, 1, 1, 120));
    assertThrows(IllegalArgumentException.class, () -> new ChaosPlan(300, 10, 11, 3, 1, 100));
  }

  @Test
  void backoffFollowsPhoenixJs() {
    long[] reconnect = new long[11];
    for (int t = 1; t <= 11; t++) reconnect[t - 1] = PhoenixBackoff.reconnectAfterMillis(t);
    assertArrayEquals(new long[] {10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000, 5000}, reconnect);
    assertEquals(1000, PhoenixBackoff.rejoinAfterMillis(1));
    assertEquals(5000, PhoenixBackoff.rejoinAfterMillis(3));
    assertEquals(10_000, PhoenixBackoff.rejoinAfterMillis(4));
  }
}
