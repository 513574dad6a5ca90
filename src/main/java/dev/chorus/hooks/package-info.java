/**
 * HTTP hooks: the application's backend in the loop of a client's connect, join, publish and
 * RPC pushes. A {@link dev.chorus.hooks.Hook} posts signed JSON ({@link
 * dev.chorus.hooks.HookRequest}, {@link dev.chorus.hooks.HookSignature}) to a URL with bounded
 * time, concurrency and a circuit breaker, and reads the answer ({@link
 * dev.chorus.hooks.HookAnswer}); callers get a {@link dev.chorus.hooks.HookResult}, never an
 * exception, and never block on it. See docs/hooks.md.
 */
package dev.chorus.hooks;
