package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which Origin headers may open WebSockets: Phoenix's check_origin rules (pure logic). */
class OriginPolicyTest {
  static final OriginPolicy SAME_HOST = OriginPolicy.sameHostOnly();

  @Test
  void aRequestWithoutAnOriginIsNoBrowserAndIsLetIn() {
    assertTrue(SAME_HOST.allows(null, "chat.example.com"));
    assertTrue(SAME_HOST.allows(null, null));
  }

  @Test
  void aPageOfTheHostTheRequestWentToIsLetInOnAnySchemeAndPort() {
    assertTrue(SAME_HOST.allows("http://127.0.0.1:4000", "127.0.0.1:4000"));
    assertTrue(SAME_HOST.allows("https://chat.example.com", "chat.example.com"));
    assertTrue(SAME_HOST.allows("https://Chat.Example.com", "chat.example.COM:443"));
    assertTrue(SAME_HOST.allows("http://localhost:3000", "localhost:4000"), "a dev server on another port");
    assertTrue(SAME_HOST.allows("http://[::1]:4000", "[::1]:4000"));
  }

  @Test
  void aPageOfAnotherSiteIsRefused() {
    assertFalse(SAME_HOST.allows("https://evil.example", "chat.example.com"));
    assertFalse(SAME_HOST.allows("https://chat.example.com.evil.example", "chat.example.com"));
    assertFalse(SAME_HOST.allows("https://evilchat.example.com", "chat.example.com"));
    assertFalse(SAME_HOST.allows("https://sub.chat.example.com", "chat.example.com"), "subdomains only when listed");
    assertFalse(SAME_HOST.allows("https://evil.example", null), "no Host to compare with");
    assertFalse(SAME_HOST.allows("https://evil.example", ""));
  }

  @Test
  void sandboxedPagesFilesAndGarbageAreRefused() {
    for (String origin : new String[] {"null", "", "file://", "chat.example.com", "https://", "https://chat.example.com/path",
        "https://user@chat.example.com", "https://chat.example.com?x", "https://chat .example.com", "//chat.example.com"}) {
      assertFalse(SAME_HOST.allows(origin, "chat.example.com"), origin);
    }
  }

  @Test
  void listedOriginsMatchSchemeHostAndPort() {
    OriginPolicy p = OriginPolicy.of(List.of("https://app.example.com", "http://dev.example.com:8080"));
    assertTrue(p.allows("https://app.example.com", "chorus.internal"));
    assertTrue(p.allows("https://app.example.com:443", "chorus.internal"), "the default port is the port");
    assertTrue(p.allows("https://app.example.com/", "chorus.internal"));
    assertFalse(p.allows("http://app.example.com", "chorus.internal"), "another scheme");
    assertTrue(p.allows("https://app.example.com:8443", "chorus.internal"), "no port in the pattern: any port");
    assertTrue(p.allows("http://dev.example.com:8080", "chorus.internal"));
    assertFalse(p.allows("http://dev.example.com", "chorus.internal"), "port 80 is not 8080");
    assertFalse(p.allows("https://example.com", "chorus.internal"));
    assertFalse(p.allows("https://evil.example", "chorus.internal"));
  }

  @Test
  void aWildcardMatchesTheDomainAndItsSubdomainsOnly() {
    OriginPolicy p = OriginPolicy.of(List.of("https://*.example.com"));
    assertTrue(p.allows("https://example.com", "x"));
    assertTrue(p.allows("https://a.example.com", "x"));
    assertTrue(p.allows("https://a.b.example.com", "x"));
    assertFalse(p.allows("https://evilexample.com", "x"));
    assertFalse(p.allows("https://example.com.evil.example", "x"));
    assertFalse(p.allows("http://a.example.com", "x"), "the scheme still counts");
    OriginPolicy anyScheme = OriginPolicy.of(List.of("//*.example.com"));
    assertTrue(anyScheme.allows("http://a.example.com", "x"));
    assertTrue(anyScheme.allows("https://a.example.com:8443", "x"));
  }

  @Test
  void aStarAllowsEverything() {
    OriginPolicy p = OriginPolicy.of(List.of("*"));
    assertTrue(p.allowsAll());
    assertTrue(p.allows("https://evil.example", "chat.example.com"));
    assertTrue(p.allows("null", "chat.example.com"));
    assertFalse(SAME_HOST.allowsAll());
    assertFalse(OriginPolicy.of(List.of("https://*.example.com")).allowsAll());
  }

  @Test
  void aPatternThatIsNoneIsRefusedAtStart() {
    for (String bad : new String[] {"example.com", "https:/example.com", "https://", "https://*", "*.example.com",
        "https://a.example.com/path", "https://a.example.com:99999", "https://a.example.com:x", "https://user@a.example.com",
        "ht tp://a.example.com", "https://a*.example.com", "null"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OriginPolicy.of(List.of(bad)), bad);
      assertTrue(e.getMessage().contains("chorus.http.allowed-origins"), e.getMessage());
    }
  }

  @Test
  void theHostOfAHostHeader() {
    assertEquals("chat.example.com", OriginPolicy.hostOf("Chat.Example.com:4000"));
    assertEquals("[::1]", OriginPolicy.hostOf("[::1]:4000"));
    assertNull(OriginPolicy.hostOf(null));
    assertNull(OriginPolicy.hostOf("a b"));
  }
}
