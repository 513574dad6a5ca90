package dev.chorus.protocol;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chorus.presence.PresenceFrames;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every event the server sends is reserved: clients may not push it. */
class EventsTest {
  @Test
  void everyEventTheServerSendsIsReserved() {
    for (String event : List.of(Events.REPLY, Events.CLOSE, Events.ERROR, Events.JOIN, Events.LEAVE,
        Events.PRESENCE_STATE, Events.PRESENCE_DIFF, Events.PRESENCE_COUNT,
        PresenceFrames.STATE, PresenceFrames.DIFF, PresenceFrames.COUNT)) {
      assertTrue(Events.isReserved(event), event);
    }
    assertTrue(Events.isReserved("presence_anything_later"));
    assertTrue(Events.isReserved("phx_anything_later"));
  }

  @Test
  void applicationEventsAreNot() {
    for (String event : List.of("msg", "new_message", "presence", "presences_state", "phx", "PHX_REPLY", "typing", "")) {
      assertFalse(Events.isReserved(event), event);
    }
  }
}
