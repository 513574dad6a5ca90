package dev.chorus.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HookSignatureTest {

  @Test
  void knownVector() {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    assertEquals("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        HookSignature.sign("Jefe", "what do ya want for nothing?".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void verifiesItsOwnAndNothingElse() {
    byte[] body = "{\"hook\":\"publish\"}".getBytes(StandardCharsets.UTF_8);
    String sig = HookSignature.sign("s3cret", body);
    assertTrue(HookSignature.verify("s3cret", body, sig));
    assertFalse(HookSignature.verify("other", body, sig));
    assertFalse(HookSignature.verify("s3cret", "{\"hook\":\"join\"}".getBytes(StandardCharsets.UTF_8), sig));
    assertFalse(HookSignature.verify("s3cret", body, null));
  }
}
