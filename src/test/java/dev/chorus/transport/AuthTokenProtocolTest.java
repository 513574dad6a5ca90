package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading phoenix.js's authToken subprotocol: both base64 alphabets, padding or not, malformed entries. */
class AuthTokenProtocolTest {

  /** phoenix.js: btoa(token).replace(/=/g, ""): the standard alphabet, unpadded. */
  static String phoenixJs(String token) {
    return AuthTokenProtocol.PREFIX + Base64.getEncoder().withoutPadding().encodeToString(token.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void phoenixJsOffersPhoenixAndTheToken() {
    var offer = AuthTokenProtocol.parse(List.of("phoenix, " + phoenixJs("a.b.c")));
    assertTrue(offer.phoenix());
    assertEquals(new AuthToken("a.b.c", false), offer.token());
  }

  @Test
  void bothAlphabetsWithOrWithoutPadding() {
    for (String text : List.of("a~>?", "i>?>~~")) { // base64 YX4+Pw== (+, padded) and aT4/Pn5+ (/ and +)
      for (String b64 : List.of(
          Base64.getEncoder().encodeToString(text.getBytes()),
          Base64.getEncoder().withoutPadding().encodeToString(text.getBytes()),
          Base64.getUrlEncoder().encodeToString(text.getBytes()),
          Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes()))) {
        assertEquals(text, AuthTokenProtocol.decode(b64).token(), b64);
      }
    }
  }

  @Test
  void malformedEntriesAreMalformedTokens() {
    for (String bad : List.of("", "=", "a", "ab$c", "YWJj ZA", "YWJjZA===", "////", // //// is 0xff bytes: not UTF-8
        "A".repeat(AuthTokenProtocol.MAX_TOKEN_CHARS * 2))) {
      assertEquals(AuthToken.MALFORMED, AuthTokenProtocol.decode(bad), "'" + (bad.length() > 20 ? bad.substring(0, 20) + "..." : bad) + "'");
    }
    assertEquals(AuthToken.MALFORMED, AuthTokenProtocol.parse(List.of("phoenix, " + AuthTokenProtocol.PREFIX)).token(), "empty entry");
    assertEquals(AuthToken.MALFORMED, AuthToken.of(""));
    assertEquals(AuthToken.MALFORMED, AuthToken.of("x".repeat(AuthTokenProtocol.MAX_TOKEN_CHARS + 1)));
    assertEquals(AuthToken.NONE, AuthToken.of(null));
  }

  @Test
  void offersWithoutATokenOrWithoutPhoenix() {
    assertEquals(new AuthTokenProtocol.Offer(false, AuthToken.NONE), AuthTokenProtocol.parse(List.of()));
    assertEquals(new AuthTokenProtocol.Offer(false, AuthToken.NONE), AuthTokenProtocol.parse(List.of("mqtt, wamp")));
    assertEquals(new AuthTokenProtocol.Offer(true, AuthToken.NONE), AuthTokenProtocol.parse(List.of("phoenix")));
    var split = AuthTokenProtocol.parse(List.of(phoenixJs("t1"), "phoenix"));
    assertEquals(new AuthTokenProtocol.Offer(true, new AuthToken("t1", false)), split, "over two header lines, in any order");
    assertEquals("t1", AuthTokenProtocol.parse(List.of("phoenix, " + phoenixJs("t1") + ", " + phoenixJs("t2"))).token().token(),
        "the first token entry counts");
  }
}
