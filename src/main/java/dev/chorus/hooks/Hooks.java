package dev.chorus.hooks;

import com.typesafe.config.Config;
import java.net.http.HttpClient;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import dev.chorus.metrics.Metrics;

/**
 * The node's hooks, one set per actor system (a Pekko extension): the one HTTP client they
 * share (HTTP/1.1, kept-alive connections, {@code chorus.hooks.connect-timeout}), the signing
 * secret, this node's address, the metrics, and each configured hook with its own in-flight
 * count and breaker, made at its first call.
 */
public final class Hooks implements Extension {
  private final HttpClient client;
  private final String secret;
  private final String node;
  private final int maxAnswerBytes;
  private final HookSettings connect;
  private final HookMetrics metrics;
  private final org.apache.pekko.actor.Scheduler scheduler;
  private final ConcurrentHashMap<String, Hook> hooks = new ConcurrentHashMap<>();

  private Hooks(ExtendedActorSystem system) {
    Config c = system.settings().config().getConfig("chorus.hooks");
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(c.getDuration("connect-timeout"))
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    this.secret = c.getString("secret");
    this.maxAnswerBytes = (int) Math.min(Integer.MAX_VALUE, c.getBytes("max-answer-bytes"));
    this.connect = HookSettings.fromConfig(c.getConfig("connect"));
    this.node = system.provider().getDefaultAddress().toString();
    this.metrics = new HookMetrics(Metrics.get(system).registry());
    this.scheduler = system.scheduler();
  }

  /** {@code name} (publish, rpc, join) of {@code namespace}, as configured there. */
  public Hook hook(String name, String namespace, HookSettings settings) {
    return hooks.computeIfAbsent(name + "/" + namespace,
        k -> new Hook(name, namespace, settings, client, secret, node, maxAnswerBytes, metrics, scheduler));
  }

  /** The node's connect hook ({@code chorus.hooks.connect}), or null when it is off. */
  public Hook connect() {
    return connect.enabled() ? hook("connect", "", connect) : null;
  }

  /**
   * Whether hook {@code name} of {@code namespace} has been made and its breaker is open. For
   * tests: the breaker counts a failure in a callback of the call's future, which may run just
   * after the caller saw the failure.
   */
  boolean breakerOpen(String name, String namespace) {
    Hook hook = hooks.get(name + "/" + namespace);
    return hook != null && hook.breakerOpen();
  }

  public boolean signed() {
    return !secret.isEmpty();
  }

  /**
   * Whether any hook has a URL in {@code chorus}: the connect hook, or a namespace's hook (in
   * the defaults or in one namespace). For the startup warning about unsigned requests.
   */
  public static boolean anyConfigured(Config chorus) {
    if (!chorus.getString("hooks.connect.url").isEmpty()) return true;
    if (anyUrl(chorus.getConfig("namespace-defaults.hooks"))) return true;
    Config namespaces = chorus.getConfig("namespaces");
    for (String name : namespaces.root().keySet()) {
      String path = "\"" + name + "\".hooks";
      if (namespaces.hasPath(path) && anyUrl(namespaces.getConfig(path))) return true;
    }
    return false;
  }

  private static boolean anyUrl(Config hooks) {
    for (String hook : hooks.root().keySet()) {
      String path = hook + ".url";
      if (hooks.hasPath(path) && !hooks.getString(path).isEmpty()) return true;
    }
    return false;
  }

  public HookMetrics metrics() {
    return metrics;
  }

  public static Hooks get(ActorSystem system) {
    return Id.INSTANCE.get(system);
  }

  public static Hooks get(org.apache.pekko.actor.typed.ActorSystem<?> system) {
    return get(Adapter.toClassic(system));
  }

  static final class Id extends AbstractExtensionId<Hooks> implements ExtensionIdProvider {
    static final Id INSTANCE = new Id();

    @Override
    public Hooks createExtension(ExtendedActorSystem system) {
      return new Hooks(system);
    }

    @Override
    public Id lookup() {
      return INSTANCE;
    }
  }
}
