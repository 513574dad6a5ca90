package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ConnectParamsTest {

  @Test
  void anAnonymousConnectionIsKeyedByItsOwnIdWhichHooksSeeAsConnId() {
    ConnectParams a = ConnectParams.of(Map.of(), null);
    ConnectParams b = ConnectParams.of(Map.of(), null);
    assertTrue(a.connId().matches("[0-9a-f]{16}"), a.connId());
    assertEquals("anon-" + a.connId(), a.userId());
    assertNotEquals(a.connId(), b.connId(), "every connection has its own id");
    assertNotEquals(a.userId(), b.userId());
  }

  @Test
  void theUserParameterIsTheKeyUpToItsLimitAndTheConnectionKeepsItsOwnId() {
    ConnectParams ada = ConnectParams.of(Map.of("user", "ada"), null);
    assertEquals("ada", ada.userId());
    assertTrue(ada.connId().matches("[0-9a-f]{16}"));
    String tooLong = "x".repeat(ConnectParams.MAX_USER_LENGTH + 1);
    assertTrue(ConnectParams.of(Map.of("user", tooLong), null).userId().startsWith("anon-"));
    assertTrue(ConnectParams.of(Map.of("user", " "), null).userId().startsWith("anon-"));
  }
}
