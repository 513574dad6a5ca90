package dev.chorus.dashboard;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.typesafe.config.Config;
import dev.chorus.api.ApiRoutes;
import dev.chorus.metrics.Metrics;
import dev.chorus.ops.AdminRoutes;
import dev.chorus.ops.AdminSettings;
import dev.chorus.ops.BearerAuth;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.HttpCookie;
import org.apache.pekko.http.javadsl.model.headers.HttpCookiePair;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.SameSite;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators' dashboard on the management port (registered in pekko-overrides.conf):
 * <ul>
 *   <li>{@code GET /dashboard/}: the app ({@code web/dashboard/index.html}) for a signed-in
 *       session, else the sign-in form; {@code /dashboard} redirects there, so that the app's
 *       relative URLs ({@code admin/nodes}, {@code api/publish}) resolve under it;
 *   <li>{@code POST /dashboard/login} ({@code key=<admin key>}, a form): the right key sets the
 *       session cookie and redirects to the app; {@code POST /dashboard/logout} clears it;
 *   <li>{@code GET /dashboard/assets/<file>}: the app's static files (no data in them, so no
 *       session needed), from {@code web/dashboard/} on the classpath;
 *   <li>{@code /dashboard/admin/...} and {@code /dashboard/api/...}: the admin API and the API for
 *       backends, the very same routes, for a signed-in session instead of a bearer key. A request
 *       that changes something must carry {@code X-Chorus-Dashboard: 1} (a page on another site
 *       cannot send that header without the browser asking first, and nothing here says yes) and
 *       is written to the {@code chorus.audit} log with its session, address, body and answer.
 * </ul>
 * Refusals are counted in {@code chorus_management_refused} (dashboard_sign_in,
 * dashboard_sign_in_rate, dashboard_session, dashboard_csrf).
 */
public final class DashboardRoutes implements ManagementRouteProvider {
  static final String COOKIE = "chorus_dashboard";
  static final String ACTION_HEADER = "X-Chorus-Dashboard";
  static final String WRONG_KEY = "wrong key";
  static final String TOO_MANY = "too many wrong keys: try again in a minute";
  static final String OFF = "The dashboard is off: set chorus.admin.key (--admin-key, CHORUS_ADMIN_KEY).";
  private static final Logger LOG = LoggerFactory.getLogger(DashboardRoutes.class);
  private static final Logger AUDIT = LoggerFactory.getLogger("chorus.audit");
  /** Most characters of a request body the audit log shows. */
  private static final int LOGGED_BODY_CHARS = 512;
  /** How long an action's body may take to arrive once its head has (as the API for backends waits). */
  private static final Duration BODY_TIMEOUT = Duration.ofSeconds(5);
  /**
   * The pages may load scripts, styles and data from this port only, and may not be framed:
   * whatever a topic's messages or a user's id hold, nothing in them can run.
   */
  private static final List<HttpHeader> PAGE_HEADERS = List.of(
      RawHeader.create("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline';"
          + " img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      RawHeader.create("Referrer-Policy", "no-referrer"),
      RawHeader.create("Cache-Control", "no-store"));

  /** The APIs' answers for a session hold the cluster's data: never kept by the browser, never sniffed as a page. */
  private static final List<HttpHeader> DATA_HEADERS = List.of(
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      RawHeader.create("Cache-Control", "no-store"));

  private final ExtendedActorSystem system;
  private final Metrics metrics;
  private final DashboardSettings settings;
  /** Null when there is no dashboard (profile prod without an admin key). */
  private final SessionToken tokens;
  /** The key the form takes: the admin key, or in profile dev without one, a random one logged at start. */
  private final byte[] key;
  private final boolean generatedKey;
  private final FailedSignIns failedSignIns;
  private final long maxBodyBytes;

  public DashboardRoutes(ExtendedActorSystem system) {
    this.system = system;
    this.metrics = Metrics.get(system);
    Config chorus = system.settings().config().getConfig("chorus");
    this.settings = DashboardSettings.fromConfig(chorus);
    String adminKey = AdminSettings.fromConfig(chorus).key();
    this.generatedKey = adminKey.isEmpty() && chorus.getString("profile").equals("dev");
    if (generatedKey) adminKey = randomKey();
    this.key = adminKey.getBytes(StandardCharsets.UTF_8);
    this.tokens = adminKey.isEmpty() ? null : new SessionToken(adminKey);
    this.failedSignIns = new FailedSignIns(settings.failedSignInsPerMinute(), System.nanoTime());
    this.maxBodyBytes = chorus.getBytes("api.max-body-bytes");
  }

  private static String randomKey() {
    byte[] b = new byte[18];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  @Override
  public Route routes(ManagementRouteProviderSettings management) {
    if (generatedKey) {
      LOG.warn("Dashboard: {}/dashboard/ - sign in with the key {} (made at start because chorus.admin.key is"
          + " not set and the profile is dev; it opens the dashboard only, and changes at every start)",
          management.selfBaseUri().toString().replaceAll("/$", ""), new String(key, StandardCharsets.UTF_8));
    }
    Route admin = new AdminRoutes(system).routes(management);
    Route api = new ApiRoutes(system).routes(management);
    return pathPrefix("dashboard", () -> concat(
        pathEnd(() -> redirect(Uri.create("/dashboard/"), StatusCodes.PERMANENT_REDIRECT)),
        pathSingleSlash(() -> get(this::appOrSignIn)),
        path("login", () -> post(() -> formFieldOptional("key", this::signIn))),
        path("logout", () -> post(() -> deleteCookie(HttpCookie.create(COOKIE, "").withPath("/dashboard"), () ->
            redirect(Uri.create("/dashboard/"), StatusCodes.SEE_OTHER)))),
        pathPrefix("assets", () -> get(() -> respondWithHeaders(PAGE_HEADERS, () -> getFromResourceDirectory("web/dashboard")))),
        pathPrefixTest("admin", () -> signedIn(admin)),
        pathPrefixTest("api", () -> signedIn(api))));
  }

  /** The app for a signed-in session, else the sign-in form (or why there is none). */
  private Route appOrSignIn() {
    if (tokens == null) return page(StatusCodes.FORBIDDEN, OFF, false);
    return optionalCookie(COOKIE, cookie -> session(cookie).isPresent()
        ? respondWithHeaders(PAGE_HEADERS, () -> getFromResource("web/dashboard/index.html"))
        : page(StatusCodes.OK, null, true));
  }

  private Route signIn(Optional<String> given) {
    return extractRequest(request -> {
      String ip = clientAddress(request);
      if (tokens == null) {
        metrics.managementRefused("disabled");
        return page(StatusCodes.FORBIDDEN, OFF, false);
      }
      long now = System.nanoTime();
      if (!failedSignIns.allowed(now)) {
        metrics.managementRefused("dashboard_sign_in_rate");
        return page(StatusCodes.TOO_MANY_REQUESTS, TOO_MANY, true);
      }
      if (!MessageDigest.isEqual(key, given.orElse("").getBytes(StandardCharsets.UTF_8))) {
        failedSignIns.failed(now);
        metrics.managementRefused("dashboard_sign_in");
        AUDIT.warn("dashboard: a wrong key from {}", ip);
        return page(StatusCodes.UNAUTHORIZED, WRONG_KEY, true);
      }
      String token = tokens.issue(Instant.now().plus(settings.sessionTtl()).getEpochSecond());
      AUDIT.info("dashboard: session {} signed in from {}", session(token).orElseThrow(), ip);
      HttpCookie cookie = HttpCookie.create(COOKIE, token)
          .withPath("/dashboard")
          .withHttpOnly(true)
          .withSecure(settings.secureCookie())
          .withSameSite(SameSite.Strict)
          .withMaxAge(settings.sessionTtl().toSeconds());
      return setCookie(cookie, () -> redirect(Uri.create("/dashboard/"), StatusCodes.SEE_OTHER));
    });
  }

  private Optional<String> session(Optional<HttpCookiePair> cookie) {
    return cookie.flatMap(c -> session(c.value()));
  }

  private Optional<String> session(String token) {
    return tokens == null ? Optional.empty() : tokens.verify(token, Instant.now().getEpochSecond());
  }

  /**
   * {@code inner} (the admin API or the API for backends) for a signed-in session, the request
   * marked {@link BearerAuth#SIGNED_IN} so that those routes let it through without a key.
   */
  private Route signedIn(Route inner) {
    return optionalCookie(COOKIE, cookie -> {
      Optional<String> id = session(cookie);
      if (id.isEmpty()) {
        metrics.managementRefused("dashboard_session");
        return BearerAuth.json(StatusCodes.UNAUTHORIZED, BearerAuth.error("sign in at /dashboard/"));
      }
      Route marked = respondWithHeaders(DATA_HEADERS, () -> mapRequest(r -> r.addAttribute(BearerAuth.SIGNED_IN, id.get()), () -> inner));
      return extractMethod(method -> method.equals(HttpMethods.GET) || method.equals(HttpMethods.HEAD)
          ? marked
          : action(id.get(), marked));
    });
  }

  /** A request that changes something: with the dashboard's header only, and written to the audit log. */
  private Route action(String session, Route inner) {
    return optionalHeaderValueByName(ACTION_HEADER, header -> {
      if (!header.orElse("").equals("1")) {
        metrics.managementRefused("dashboard_csrf");
        return BearerAuth.json(StatusCodes.FORBIDDEN, BearerAuth.error("actions need the header " + ACTION_HEADER + ": 1"));
      }
      return extractRequest(request -> extractStrictEntity(BODY_TIMEOUT, maxBodyBytes, body -> {
        String ip = clientAddress(request);
        String what = request.method().value() + " " + request.getUri().path();
        String shown = printable(body);
        return mapResponse(response -> {
          AUDIT.info("dashboard: session {} from {}: {} {} -> {}", session, ip, what, shown, response.status().intValue());
          return response;
        }, () -> inner);
      }));
    });
  }

  /**
   * The address of the socket the request came on (pekko.http.server.remote-address-attribute),
   * not what an X-Forwarded-For header claims: behind a proxy it is the proxy's.
   */
  static String clientAddress(HttpRequest request) {
    return request.getAttribute(AttributeKeys.remoteAddress)
        .flatMap(RemoteAddress::getAddress)
        .map(InetAddress::getHostAddress)
        .orElse("an unknown address");
  }

  /** A body as one log line: at most LOGGED_BODY_CHARS, control characters escaped (no forged lines). */
  static String printable(HttpEntity.Strict body) {
    String text = body.getData().utf8String();
    StringBuilder b = new StringBuilder(Math.min(text.length(), LOGGED_BODY_CHARS) + 16);
    for (int i = 0; i < text.length() && b.length() < LOGGED_BODY_CHARS; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    if (text.length() > LOGGED_BODY_CHARS) b.append("... (").append(text.length()).append(" chars)");
    return b.toString();
  }

  private static Route page(StatusCode status, String message, boolean formShown) {
    return respondWithHeaders(PAGE_HEADERS, () -> complete(HttpResponse.create()
        .withStatus(status)
        .withEntity(ContentTypes.TEXT_HTML_UTF8, SignInPage.render(message, formShown))));
  }
}
