package dev.chorus.transport;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which web pages may open WebSockets to the node, decided from the upgrade's {@code Origin}
 * header, as Phoenix's {@code check_origin} does. A browser sends the Origin of the page that
 * opens the socket and lets any page open one to any site; without this check, a page on
 * another site could open a socket with the visitor's cookies or network position
 * (cross-site WebSocket hijacking). Pure code, thread-safe.
 *
 * <ul>
 *   <li>no {@code Origin} header: allowed (not a browser; browsers always send one);
 *   <li>an Origin whose host is the host of the request's {@code Host} header: allowed (the
 *       page came from this server, or from the name it is reached by; any scheme and port);
 *   <li>an Origin that matches a pattern of {@code chorus.http.allowed-origins}: allowed.
 *       A pattern is {@code scheme://host[:port]}; {@code //host} matches any scheme, no port
 *       any port, and a host {@code *.example.com} matches example.com and every name under it;
 *       {@code *} alone allows every origin (the node warns at start);
 *   <li>anything else, the literal {@code null} origin of sandboxed pages and files included:
 *       refused.
 * </ul>
 */
public final class OriginPolicy {
  private final List<Pattern> patterns;
  private final boolean any;

  /** One allowed origin: scheme (null: any), host (lower case), subdomains too, port (-1: any). */
  private record Pattern(String scheme, String host, boolean subdomains, int port) {
    boolean matches(String scheme, String host, int port) {
      if (this.scheme != null && !this.scheme.equals(scheme)) return false;
      if (this.port >= 0 && this.port != port) return false;
      return host.equals(this.host) || subdomains && host.endsWith("." + this.host);
    }
  }

  private OriginPolicy(List<Pattern> patterns, boolean any) {
    this.patterns = List.copyOf(patterns);
    this.any = any;
  }

  /**
   * The policy of {@code chorus.http.allowed-origins}.
   *
   * @throws IllegalArgumentException naming a pattern that is not one
   */
  public static OriginPolicy of(List<String> allowed) {
    List<Pattern> patterns = new ArrayList<>();
    boolean any = false;
    for (String p : allowed) {
      if (p.trim().equals("*")) {
        any = true;
      } else {
        patterns.add(parse(p));
      }
    }
    return new OriginPolicy(patterns, any);
  }

  /** Only same-host origins (and requests without an Origin). */
  public static OriginPolicy sameHostOnly() {
    return new OriginPolicy(List.of(), false);
  }

  /** Whether every origin is allowed ({@code *}). */
  public boolean allowsAll() {
    return any;
  }

  /**
   * Whether an upgrade whose {@code Origin} header is {@code origin} (null: none) and whose
   * {@code Host} header is {@code hostHeader} (null: none) may be let in.
   */
  public boolean allows(String origin, String hostHeader) {
    if (origin == null || any) return true;
    Origin o = Origin.parse(origin);
    if (o == null) return false;
    String requestHost = hostOf(hostHeader);
    if (requestHost != null && requestHost.equals(o.host)) return true;
    for (Pattern p : patterns) if (p.matches(o.scheme, o.host, o.port)) return true;
    return false;
  }

  /** An Origin header's parts: scheme, host (lower case, IPv6 in brackets), port (the scheme's default if absent). */
  private record Origin(String scheme, String host, int port) {
    static Origin parse(String origin) {
      try {
        URI u = new URI(origin.trim());
        String scheme = u.getScheme();
        String host = u.getHost();
        if (scheme == null || host == null || u.getRawUserInfo() != null) return null;
        String path = u.getRawPath();
        if (path != null && !path.isEmpty() && !path.equals("/") || u.getRawQuery() != null || u.getRawFragment() != null) {
          return null; // an Origin is scheme://host[:port] only
        }
        scheme = scheme.toLowerCase(Locale.ROOT);
        int port = u.getPort() >= 0 ? u.getPort() : defaultPort(scheme);
        return new Origin(scheme, host.toLowerCase(Locale.ROOT), port);
      } catch (URISyntaxException e) {
        return null;
      }
    }
  }

  private static int defaultPort(String scheme) {
    return switch (scheme) {
      case "http", "ws" -> 80;
      case "https", "wss" -> 443;
      default -> -1;
    };
  }

  /** The host of a Host header ("example.com:4000", "[::1]:4000"), lower case; null if there is none. */
  static String hostOf(String hostHeader) {
    if (hostHeader == null || hostHeader.isBlank()) return null;
    try {
      String host = new URI("http://" + hostHeader.trim()).getHost();
      return host == null ? null : host.toLowerCase(Locale.ROOT);
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static final java.util.regex.Pattern SCHEME = java.util.regex.Pattern.compile("[a-z][a-z0-9+.-]*");
  private static final java.util.regex.Pattern HOST = java.util.regex.Pattern.compile("[a-z0-9_-]+(\\.[a-z0-9_-]+)*\\.?");

  private static Pattern parse(String text) {
    String p = text.trim().toLowerCase(Locale.ROOT);
    int slashes = p.indexOf("//");
    if (slashes < 0) throw bad(text);
    String scheme = null;
    if (slashes > 0) {
      if (p.charAt(slashes - 1) != ':') throw bad(text);
      scheme = p.substring(0, slashes - 1);
      if (!SCHEME.matcher(scheme).matches()) throw bad(text);
    }
    String authority = p.substring(slashes + 2);
    if (authority.endsWith("/")) authority = authority.substring(0, authority.length() - 1);
    int port = -1;
    String host;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) throw bad(text);
      host = authority.substring(0, close + 1);
      String rest = authority.substring(close + 1);
      if (!rest.isEmpty()) port = port(rest, text);
    } else {
      int colon = authority.lastIndexOf(':');
      host = colon < 0 ? authority : authority.substring(0, colon);
      if (colon >= 0) port = port(authority.substring(colon), text);
    }
    boolean subdomains = host.startsWith("*.");
    if (subdomains) host = host.substring(2);
    boolean valid = host.startsWith("[") && host.length() > 2 && host.substring(1, host.length() - 1).matches("[0-9a-f:.]+")
        || HOST.matcher(host).matches();
    if (!valid) throw bad(text);
    return new Pattern(scheme, host, subdomains, port);
  }

  private static int port(String colonAndDigits, String text) {
    if (!colonAndDigits.matches(":[0-9]{1,5}")) throw bad(text);
    int port = Integer.parseInt(colonAndDigits.substring(1));
    if (port > 65535) throw bad(text);
    return port;
  }

  private static IllegalArgumentException bad(String pattern) {
    return new IllegalArgumentException("chorus.http.allowed-origins: '" + pattern + "' is not an origin pattern"
        + " (scheme://host[:port], //host for any scheme, https://*.example.com for subdomains, or * for all)");
  }
}
