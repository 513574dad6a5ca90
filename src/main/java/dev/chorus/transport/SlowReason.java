package dev.chorus.transport;

/**
 * Why a connection is closed as a slow consumer ({@link CloseReason#SLOW_CONSUMER}, 4000): the
 * reason label of {@code chorus_slow_consumer_closes_total}. Whatever the reason, what is queued
 * for the connection is dropped at once.
 */
public enum SlowReason {
  /** A frame offered would pass outbound-max-frames or outbound-max-bytes. */
  QUEUE_FULL("queue_full"),
  /** Its socket has not taken everything handed to it for outbound-stall-timeout ({@link StallWatch}). */
  STALLED("stalled"),
  /** The node's backlog passed outbound-node-budget and this connection's was among the largest ({@link OutboundBudget}). */
  BUDGET("budget");

  private final String label;

  SlowReason(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
