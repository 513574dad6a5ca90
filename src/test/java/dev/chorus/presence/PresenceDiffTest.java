package dev.chorus.presence;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The diff logic and the payloads phoenix.js's Presence reads. */
class PresenceDiffTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static PresenceEntry entry(String key, String ref) {
    return new PresenceEntry("pekko://chorus@127.0.0.1:25520#1", ref, key, "{\"phx_ref\":\"" + ref + "\",\"online_at\":1}");
  }

  static Map<String, PresenceEntry> state(PresenceEntry... entries) {
    Map<String, PresenceEntry> m = new LinkedHashMap<>();
    for (PresenceEntry e : entries) m.put(e.ref(), e);
    return m;
  }

  @Test
  void joinsAndLeaves() {
    PresenceEntry ada = entry("ada", "r1"), bob = entry("bob", "r2"), cy = entry("cy", "r3");
    PresenceDiff d = PresenceDiff.between(state(ada, bob), state(bob, cy));
    assertEquals(List.of(cy), d.joins());
    assertEquals(List.of(ada), d.leaves());
  }

  @Test
  void aJoinThenALeaveInOneBatchIsNoDiffAtAll() {
    PresenceEntry ada = entry("ada", "r1");
    Map<String, PresenceEntry> before = state(ada);
    Map<String, PresenceEntry> after = state(ada); // carol joined and left in between
    assertTrue(PresenceDiff.between(before, after).isEmpty());
  }

  @Test
  void aSecondTabIsASecondMetaUnderTheSameKey() throws Exception {
    PresenceEntry tab1 = entry("bob", "r1"), tab2 = entry("bob", "r2");
    PresenceDiff d = PresenceDiff.between(state(tab1), state(tab1, tab2));
    assertEquals(List.of(tab2), d.joins());
    JsonNode state = JSON.readTree(PresenceFrames.state(List.of(tab1, tab2)).utf8String());
    assertEquals(1, state.size());
    assertEquals(2, state.path("bob").path("metas").size());
    assertEquals("r2", state.path("bob").path("metas").path(1).path("phx_ref").asText());
    assertEquals(1, PresenceFrames.users(List.of(tab1, tab2)));
  }

  @Test
  void aDiffRendersAsJoinsAndLeavesByKey() throws Exception {
    PresenceEntry ada = entry("ada", "r1"), bob = entry("bob", "r2");
    JsonNode diff = JSON.readTree(PresenceFrames.diff(PresenceDiff.between(state(ada), state(bob))).utf8String());
    assertEquals(JSON.readTree("{\"joins\":{\"bob\":{\"metas\":[{\"phx_ref\":\"r2\",\"online_at\":1}]}},"
        + "\"leaves\":{\"ada\":{\"metas\":[{\"phx_ref\":\"r1\",\"online_at\":1}]}}}"), diff);
  }

  @Test
  void applyingADiffGivesTheLaterState() {
    PresenceEntry ada = entry("ada", "r1"), bob = entry("bob", "r2"), bob2 = entry("bob", "r3");
    Map<String, PresenceEntry> before = state(ada, bob), after = state(bob, bob2);
    Map<String, PresenceEntry> applied = new LinkedHashMap<>(before);
    PresenceDiff.between(before, after).applyTo(applied);
    assertEquals(after, applied);
  }

  @Test
  void aKeyAppendedToARenderedStateIsTheStateWithIt() throws Exception {
    PresenceEntry ada = entry("ada", "r1"), bob = entry("bob", "r2");
    assertEquals(JSON.readTree(PresenceFrames.state(List.of(ada, bob)).utf8String()),
        JSON.readTree(PresenceFrames.withKey(PresenceFrames.state(List.of(ada)), bob).utf8String()));
    assertEquals(JSON.readTree(PresenceFrames.state(List.of(bob)).utf8String()),
        JSON.readTree(PresenceFrames.withKey(PresenceFrames.state(List.of()), bob).utf8String()));
  }

  @Test
  void anEntrySurvivesItsReplicatedForm() {
    for (String key : new String[] {"line\nbreak \"quoted\" ü", "back\\slash\\n", "\\", "plain"}) {
      PresenceEntry odd = new PresenceEntry("node#7", "ref", key, "{\"phx_ref\":\"ref\",\"note\":\"a\\nb\"}");
      assertEquals(odd, PresenceEntry.decode(odd.encode()), key);
    }
    assertNull(PresenceEntry.decode("garbage"));
  }

  @Test
  void customMetaIsCheckedAndMerged() throws Exception {
    var custom = PresenceMeta.custom(JSON.readTree("{\"meta\":{\"status\":\"away\",\"phx_ref\":\"forged\"}}"), 1024);
    JsonNode meta = JSON.readTree(PresenceMeta.render("r9", 5, custom));
    assertEquals("r9", meta.path("phx_ref").asText(), "a client cannot choose its phx_ref");
    assertEquals("away", meta.path("status").asText());
    assertEquals(5, meta.path("online_at").asLong());
    assertEquals(0, PresenceMeta.custom(JSON.readTree("{}"), 1024).size());
    var e1 = assertThrows(IllegalArgumentException.class,
        () -> PresenceMeta.custom(JSON.readTree("{\"meta\":[1]}"), 1024));
    assertEquals("presence meta must be an object", e1.getMessage());
    var e2 = assertThrows(IllegalArgumentException.class,
        () -> PresenceMeta.custom(JSON.readTree("{\"meta\":{\"x\":\"" + "y".repeat(2000) + "\"}}"), 1024));
    assertEquals("presence meta too large", e2.getMessage());
  }
}
