package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The LongPoll session token: only its node's secret makes one, and any node can read where it leads. */
class LongPollTokenTest {
  static final String A = "pekko://chorus@10.0.0.1:25520", B = "pekko://chorus@10.0.0.2:25520";

  @Test
  void aTokenOfThisNodeVerifiesToItsSession() {
    LongPollToken tokens = LongPollToken.withRandomSecret(A);
    String id = LongPollToken.newSessionId();
    String token = tokens.issue(id);
    assertEquals(id, tokens.verify(token));
    assertEquals(A, LongPollToken.nodeOf(token));
    assertNotEquals(id, LongPollToken.newSessionId(), "ids are random");
  }

  @Test
  void anAlteredTokenVerifiesToNothing() {
    LongPollToken tokens = LongPollToken.withRandomSecret(A);
    String token = tokens.issue("session1");
    String[] p = token.split("\\.");
    assertNull(tokens.verify(p[0] + "." + p[1] + ".session2." + p[3]), "another session id");
    // every other last character, including those that decode to the same bytes (the last of 43
    // characters carries 2 unused bits): one token has one spelling
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    String allButLast = token.substring(0, token.length() - 1);
    for (char c : alphabet.toCharArray()) {
      if (c != token.charAt(token.length() - 1)) assertNull(tokens.verify(allButLast + c), "another signature: " + c);
    }
    assertNull(tokens.verify(token + "x"));
    assertNull(tokens.verify(p[0] + "." + p[1] + "." + p[2] + ".!!!"), "not base64");
    assertNull(tokens.verify(""));
    assertNull(tokens.verify(null));
    assertNull(tokens.verify("v1." + "a".repeat(LongPollToken.MAX_LENGTH)));
  }

  @Test
  void aTokenOfAnotherNodeOrIncarnationVerifiesToNothingHere() {
    LongPollToken here = LongPollToken.withRandomSecret(A);
    String other = LongPollToken.withRandomSecret(B).issue("s");
    assertEquals(B, LongPollToken.nodeOf(other), "but it says where its session is");
    assertNull(here.verify(other));
    String restarted = LongPollToken.withRandomSecret(A).issue("s"); // same address, new secret
    assertNull(here.verify(restarted));
    // a forger naming this node cannot sign for it
    String forged = "v1." + restarted.split("\\.")[1] + ".s." + restarted.split("\\.")[3];
    assertNull(here.verify(forged));
  }

  @Test
  void onlyTheTokensShapeIsReadAsASessionToken() {
    assertNull(LongPollToken.nodeOf("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2ln"), "a JWT has three parts");
    assertNull(LongPollToken.nodeOf("v1.abc.def"));
    assertNull(LongPollToken.nodeOf("v2.YQ.s.sig"));
    assertNull(LongPollToken.nodeOf("v1.%%%.s.sig"));
    assertEquals("a", LongPollToken.nodeOf("v1.YQ.s.sig"));
  }

  @Test
  void theSessionTokenAndTheConnectTokenShareTheTokenParam() {
    String session = LongPollToken.withRandomSecret(A).issue("s");
    String jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2ln";
    HttpHeaders none = new DefaultHttpHeaders();
    assertEquals(new LongPollEndpoint.Tokens(null, jwt), LongPollEndpoint.Tokens.of(none, List.of(jwt)), "the first poll");
    assertEquals(new LongPollEndpoint.Tokens(session, jwt), LongPollEndpoint.Tokens.of(none, List.of(jwt, session)));
    assertEquals(new LongPollEndpoint.Tokens(session, null), LongPollEndpoint.Tokens.of(none, List.of(session)));
    HttpHeaders headers = new DefaultHttpHeaders().set(LongPollEndpoint.TOKEN_HEADER, session);
    assertEquals(new LongPollEndpoint.Tokens(session, jwt), LongPollEndpoint.Tokens.of(headers, List.of(jwt)),
        "the session token's header");
  }
}
