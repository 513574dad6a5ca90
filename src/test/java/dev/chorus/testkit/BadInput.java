package dev.chorus.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Set-up and checks shared by the tests of malformed, oversize, unroutable and flooding input
 * from one client (session, transport, room): each gets the documented error reply or close code
 * (docs/protocol.md "Errors"), and never disturbs another connection or the room. Every such
 * test keeps a well-behaved witness joined to the same room and shows, after the bad input,
 * that a second good client's push still reaches it ({@link #assertRoomStillWorks}).
 */
public final class BadInput {
  /** How long a client of these tests waits for a frame, a close or a counter. */
  public static final Duration WAIT = Duration.ofSeconds(5);
  private static final AtomicInteger ROOMS = new AtomicInteger();

  private BadInput() {}

  /** A topic of {@code namespace} that no other test uses. */
  public static String room(String namespace) {
    return namespace + ":bad-" + ROOMS.incrementAndGet();
  }

  /** A client of the node on {@code port} that waits {@link #WAIT}. */
  public static PhxClient connect(int port) throws IOException {
    return PhxClient.connect(port).withWait(WAIT);
  }

  /** A client joined to {@code topic} under join_ref "1". */
  public static PhxClient joined(int port, String topic) throws IOException {
    PhxClient c = connect(port);
    c.join(topic, "1", "{}");
    return c;
  }

  /**
   * A second good client joins {@code topic} and pushes; the witness must receive it. Every
   * frame the witness got before it must match {@code expectedBefore} (strict when null).
   * Returns those frames, and leaves the witness with none kept.
   */
  public static List<JsonNode> assertRoomStillWorks(String topic, PhxClient witness, Predicate<JsonNode> expectedBefore)
      throws IOException {
    try (PhxClient good = PhxClient.connect(witness.host(), witness.port(), PhxClient.VSN, 0).withWait(witness.waitTime())) {
      good.join(topic, "1", "{}");
      String id = UUID.randomUUID().toString();
      good.pushOk(topic, "check", "{\"id\":\"" + id + "\"}");
      witness.expect("the good client's push to reach the witness", f -> isBroadcast(f, id));
      for (JsonNode earlier : witness.buffered()) {
        assertTrue(expectedBefore != null && expectedBefore.test(earlier),
            "the witness received something unexpected before the check: " + earlier);
      }
      List<JsonNode> before = new ArrayList<>(witness.buffered());
      witness.buffered().clear();
      witness.assertHeartbeatAnswered();
      return before;
    }
  }

  public static void assertRoomStillWorks(String topic, PhxClient witness) throws IOException {
    assertRoomStillWorks(topic, witness, null);
  }

  /** A broadcast whose payload's "id" is {@code id}. */
  public static boolean isBroadcast(JsonNode f, String id) {
    return PhxClient.isBroadcast(f) && id.equals(f.get(4).path("id").asText());
  }

  /** An error reply with a reason, and that reason when {@code reason} is not null. */
  public static void assertErrorReply(JsonNode reply, String reason) {
    assertTrue(PhxClient.isReply(reply), "a phx_reply: " + reply);
    assertEquals("error", PhxClient.status(reply), reply.toString());
    assertTrue(reply.get(4).path("response").path("reason").isTextual(), "a reason: " + reply);
    if (reason != null) assertEquals(reason, PhxClient.reason(reply), reply.toString());
  }

  /** Waits until {@code counter} reaches {@code atLeast}. */
  public static void awaitCounter(String what, LongSupplier counter, long atLeast) throws InterruptedException {
    TestNode.await(what + " >= " + atLeast, WAIT, () -> counter.getAsLong() >= atLeast);
  }
}
