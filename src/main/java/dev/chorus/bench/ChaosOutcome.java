package dev.chorus.bench;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A chaos run's report as {@link ChaosBench#run} returns it: the JSON tree ({@code --json}), the
 * table the bench prints, and the figures a test asserts on.
 */
public record ChaosOutcome(JsonNode report, String table) {
  private JsonNode chaos() {
    return report.path("chaos");
  }

  public long lost() {
    return chaos().path("lost").asLong();
  }

  public long duplicated() {
    return chaos().path("duplicated").asLong();
  }

  public long outOfOrder() {
    return chaos().path("out_of_order").asLong();
  }

  public long diverged() {
    return chaos().path("diverged").asLong();
  }

  public long recoveredFalse() {
    return chaos().path("recovered_false").asLong();
  }

  public long epochChanges() {
    return chaos().path("epoch_changes").asLong();
  }

  /** Clients of the run, publishers included. */
  public long clients() {
    return chaos().path("clients").path("total").asLong();
  }

  /** Clients connected with every topic joined when the run ended. */
  public long clientsInServiceAtEnd() {
    return chaos().path("clients").path("in_service_at_end").asLong();
  }

  /** Whether every client in service had caught up with every topic before the end. */
  public boolean caughtUp() {
    return chaos().path("settle").path("caught_up").asBoolean();
  }

  public long pushesAcked() {
    return chaos().path("pushes").path("acked").asLong();
  }
}
