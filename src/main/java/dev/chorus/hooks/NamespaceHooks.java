package dev.chorus.hooks;

import com.typesafe.config.Config;

/** A namespace's hooks ({@code hooks} in a namespace's options); each may be off. */
public record NamespaceHooks(HookSettings publish, HookSettings rpc, HookSettings join) {

  public static NamespaceHooks fromConfig(Config hooks) {
    return new NamespaceHooks(
        HookSettings.fromConfig(hooks.getConfig("publish")),
        HookSettings.fromConfig(hooks.getConfig("rpc")),
        HookSettings.fromConfig(hooks.getConfig("join")));
  }

  /** Whether a push of {@code event} goes to the RPC hook (and only there). */
  public boolean isRpc(String event) {
    return rpc.enabled() && rpc.events().contains(event);
  }
}
