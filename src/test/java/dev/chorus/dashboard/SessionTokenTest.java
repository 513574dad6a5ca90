package dev.chorus.dashboard;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class SessionTokenTest {
  final SessionToken tokens = new SessionToken("the-admin-key");

  @Test
  void aTokenIsValidUntilItsExpiryAndNamesItsSession() {
    String token = tokens.issue(1000);
    Optional<String> id = tokens.verify(token, 999);
    assertTrue(id.isPresent());
    assertEquals(16, id.get().length(), "8 random bytes in hex");
    assertTrue(token.contains("." + id.get() + "."));
    assertTrue(tokens.verify(token, 1000).isEmpty(), "expired at its expiry");
    assertTrue(tokens.verify(token, 5000).isEmpty());
    assertNotEquals(id, tokens.verify(tokens.issue(1000), 0), "each session its own id");
  }

  @Test
  void anotherKeyOrAnyChangedCharacterIsRefused() {
    String token = tokens.issue(1000);
    assertTrue(new SessionToken("another-key").verify(token, 0).isEmpty(), "a new admin key signs everybody out");
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      String changed = token.substring(0, i) + (c == 'a' ? 'b' : 'a') + token.substring(i + 1);
      assertTrue(tokens.verify(changed, 0).isEmpty(), "changed at " + i + ": " + changed);
    }
    // a later expiry with the old mac
    String[] parts = token.split("\\.");
    assertTrue(tokens.verify(parts[0] + ".99999." + parts[2] + "." + parts[3], 0).isEmpty());
  }

  @Test
  void garbageIsRefusedWithoutAnError() {
    for (String bad : new String[] {null, "", ".", "v1", "v1...", "v1.x.y.z", "v2.1000.ab.cd", "v1.1000.ab.cd.ef",
        "v1." + "9".repeat(40) + ".ab.cd", "x".repeat(SessionToken.MAX_LENGTH + 1)}) {
      assertTrue(tokens.verify(bad, 0).isEmpty(), String.valueOf(bad));
    }
  }
}
