package dev.chorus.ops;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;

/**
 * The readiness check Chorus adds to {@code /ready} (next to Pekko's cluster-membership check):
 * the node serves WebSockets and is not draining. Registered in pekko-overrides.conf.
 */
public final class ServingCheck implements Supplier<CompletionStage<Boolean>> {
  private final Operations operations;

  public ServingCheck(ActorSystem system) {
    this.operations = Operations.get(system);
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.completedFuture(operations.ready());
  }
}
