package dev.chorus.room;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import java.util.Map;
import java.util.TreeMap;

/** The configured namespaces: each is {@code chorus.namespaces.<name>} over the defaults. */
public final class Namespaces {
  private final Map<String, Namespace> byName;

  private Namespaces(Map<String, Namespace> byName) {
    this.byName = Map.copyOf(byName);
  }

  public static Namespaces fromConfig(Config chorus) {
    Config defaults = chorus.getConfig("namespace-defaults");
    Config all = chorus.getConfig("namespaces");
    Map<String, Namespace> byName = new TreeMap<>();
    boolean webhooks = !chorus.getString("webhooks.url").isBlank();
    for (var entry : all.root().entrySet()) {
      String name = entry.getKey();
      if (entry.getValue().valueType() != ConfigValueType.OBJECT) {
        throw new IllegalArgumentException("chorus.namespaces." + name + " must be an object");
      }
      if (name.isEmpty() || name.contains(":")) {
        throw new IllegalArgumentException("namespace name '" + name + "' must be non-empty and without ':'");
      }
      byName.put(name, Namespace.fromConfig(name, all.getConfig("\"" + name + "\"").withFallback(defaults), webhooks));
    }
    return new Namespaces(byName);
  }

  /** Every configured namespace, by name. */
  public java.util.Collection<Namespace> all() {
    return new TreeMap<>(byName).values();
  }

  /** The namespace, or null when it is not configured. */
  public Namespace get(String name) {
    return byName.get(name);
  }
}
