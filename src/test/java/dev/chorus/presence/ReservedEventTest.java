package dev.chorus.presence;

import static dev.chorus.testkit.BadInput.assertErrorReply;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Events the server sends are reserved: a client may not push presence_state or presence_diff
 * (or phx_*) into a topic. phoenix.js's Presence applies whatever arrives under those names:
 * one forged {@code presence_state {}} once wiped every member's list. Refused with "reserved
 * event"; the witness's presence list stays whole and keeps following real changes.
 */
@Timeout(60)
class ReservedEventTest {
  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension("""
      chorus.namespaces.room.presence = on
      chorus.presence.interval = 200 ms
      """);

  static PhxClient connect(String user) throws IOException {
    return PhxClient.connect(NODE.port(), PhxClient.VSN + "&user=" + user).withWait(Duration.ofSeconds(10));
  }

  /** A witness's presence list as phoenix.js's Presence keeps it: the keys present. */
  static final class PresenceList {
    final Set<String> keys = new TreeSet<>();
    int states;

    void apply(JsonNode f) {
      String event = f.get(3).asText();
      if ("presence_state".equals(event)) {
        states++;
        keys.clear();
        f.get(4).fieldNames().forEachRemaining(keys::add);
      } else if ("presence_diff".equals(event)) {
        f.get(4).path("joins").fieldNames().forEachRemaining(keys::add);
        f.get(4).path("leaves").fieldNames().forEachRemaining(keys::remove);
      }
    }

    /** Reads the witness's frames until its list holds exactly {@code expected}. */
    void awaitExactly(PhxClient witness, Set<String> expected) throws IOException {
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      for (Iterator<JsonNode> it = witness.buffered().iterator(); it.hasNext(); ) {
        apply(it.next());
        it.remove();
      }
      while (!keys.equals(expected)) {
        if (System.nanoTime() > deadline) throw new AssertionError("presence list " + keys + ", expected " + expected);
        apply(witness.next(Duration.ofSeconds(10)));
      }
    }
  }

  @Test
  void aForgedPresenceStateIsRefusedAndTheWitnessListStaysWhole() throws Exception {
    String topic = "room:reserved-presence";
    try (PhxClient ada = connect("ada"); PhxClient bob = connect("bob"); PhxClient mallory = connect("mallory")) {
      PresenceList adaSees = new PresenceList();
      ada.join(topic, "1", "{}");
      bob.join(topic, "1", "{}");
      mallory.join(topic, "1", "{}");
      adaSees.awaitExactly(ada, Set.of("ada", "bob", "mallory"));

      mallory.send("1", "f1", topic, "presence_state", "{}");
      assertErrorReply(mallory.reply("f1"), "reserved event");
      mallory.send("1", "f2", topic, "presence_diff", "{\"joins\":{},\"leaves\":{\"ada\":{\"metas\":[]},\"bob\":{\"metas\":[]}}}");
      assertErrorReply(mallory.reply("f2"), "reserved event");
      mallory.send("1", "f3", topic, "phx_reply", "{\"status\":\"ok\",\"response\":{}}");
      assertErrorReply(mallory.reply("f3"), "reserved event");
      assertEquals(3, NODE.node().metrics().pushesRefusedBy("reserved event"));

      // A real change after the forgeries: the witness's list follows it, and never lost anyone.
      try (PhxClient carol = connect("carol")) {
        carol.join(topic, "1", "{}");
        adaSees.awaitExactly(ada, Set.of("ada", "bob", "carol", "mallory"));
      }
      adaSees.awaitExactly(ada, Set.of("ada", "bob", "mallory"));
      assertEquals(1, adaSees.states, "the only presence_state the witness got is its own, at its join");
      ada.assertHeartbeatAnswered();
      for (JsonNode f : ada.buffered()) assertNotEquals("presence_state", f.get(3).asText(), f.toString());
    }
  }
}
