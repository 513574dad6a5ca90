package dev.chorus.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class EventQueueTest {

  @Test
  void batchesTakeTheOldestUpToTheBatchSize() {
    EventQueue<Integer> queue = new EventQueue<>(10);
    for (int i = 0; i < 7; i++) assertTrue(queue.offer(i));
    assertEquals(List.of(0, 1, 2), queue.take(3));
    assertEquals(List.of(3, 4, 5), queue.take(3));
    assertEquals(List.of(6), queue.take(3));
    assertEquals(List.of(), queue.take(3));
  }

  @Test
  void overTheBoundEventsAreRefusedAndTheQueueKeepsItsOldest() {
    EventQueue<Integer> queue = new EventQueue<>(3);
    int refused = 0;
    for (int i = 0; i < 10; i++) if (!queue.offer(i)) refused++;
    assertEquals(7, refused);
    assertEquals(3, queue.size());
    assertEquals(List.of(0, 1, 2), queue.take(100));
    assertTrue(queue.offer(42), "room again once a batch is taken");
    assertFalse(queue.take(1).isEmpty());
  }
}
