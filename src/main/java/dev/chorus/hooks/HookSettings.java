package dev.chorus.hooks;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

/**
 * One hook's options, e.g. {@code chorus.namespace-defaults.hooks.publish} (each key is
 * documented in reference.conf). An empty {@code url} turns the hook off. {@code events} is the
 * RPC hook's list of push events, {@code headers} the upgrade headers the connect hook passes on,
 * {@code maxPending} how many pushes of one join may wait behind its publish hook call.
 */
public record HookSettings(
    String url,
    Duration timeout,
    int maxInFlight,
    OnFailure onFailure,
    int maxFailures,
    Duration resetTimeout,
    int maxPending,
    List<String> events,
    List<String> headers) {

  /** What a client gets when the backend cannot answer (down, slow, busy, bad answer). */
  public enum OnFailure {
    /** The client's action is refused with the failure's reason ("backend unavailable", ...). */
    REFUSE,
    /** The client's action goes ahead as if the hook were off. */
    ALLOW
  }

  public HookSettings {
    if (!url.isEmpty() && !url.startsWith("http://") && !url.startsWith("https://")) {
      throw new IllegalArgumentException("a hook url must be http:// or https://, got '" + url + "'");
    }
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("a hook's timeout must be > 0");
    if (maxInFlight <= 0) throw new IllegalArgumentException("a hook's max-in-flight must be > 0");
    if (maxFailures <= 0) throw new IllegalArgumentException("a hook's breaker-max-failures must be > 0");
    if (resetTimeout.isNegative() || resetTimeout.isZero()) throw new IllegalArgumentException("a hook's breaker-reset-timeout must be > 0");
    if (maxPending < 0) throw new IllegalArgumentException("a hook's max-pending must be >= 0");
    events = List.copyOf(events);
    headers = headers.stream().map(String::toLowerCase).toList();
  }

  public boolean enabled() {
    return !url.isEmpty();
  }

  public static HookSettings fromConfig(Config c) {
    String policy = c.getString("on-failure");
    OnFailure onFailure = switch (policy) {
      case "refuse" -> OnFailure.REFUSE;
      case "allow" -> OnFailure.ALLOW;
      default -> throw new IllegalArgumentException("a hook's on-failure must be refuse or allow, got '" + policy + "'");
    };
    return new HookSettings(
        c.getString("url"),
        c.getDuration("timeout"),
        c.getInt("max-in-flight"),
        onFailure,
        c.getInt("breaker-max-failures"),
        c.getDuration("breaker-reset-timeout"),
        c.hasPath("max-pending") ? c.getInt("max-pending") : 0,
        c.hasPath("events") ? c.getStringList("events") : List.of(),
        c.hasPath("headers") ? c.getStringList("headers") : List.of());
  }
}
