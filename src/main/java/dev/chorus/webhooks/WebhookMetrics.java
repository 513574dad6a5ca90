package dev.chorus.webhooks;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * The webhook sender's metrics, registered with the node's registry (served at /metrics):
 * events sent, events dropped by reason, failed attempts by kind, the queue's size, and the
 * latency of each POST. Kept in this package so that the node's Metrics class stays as it is.
 */
public final class WebhookMetrics {
  /** Why events were dropped; listed from the start so each shows 0 until it happens. */
  public static final String QUEUE_FULL = "queue_full";
  public static final String ATTEMPTS = "attempts";
  public static final String EXPIRED = "expired";
  public static final String REJECTED = "rejected";
  public static final String SHUTDOWN = "shutdown";

  private final LongAdder sent = new LongAdder();
  private final LongAdder batches = new LongAdder();
  private final ConcurrentHashMap<String, LongAdder> dropped = new ConcurrentHashMap<>(Map.of(
      QUEUE_FULL, new LongAdder(), ATTEMPTS, new LongAdder(), EXPIRED, new LongAdder(),
      REJECTED, new LongAdder(), SHUTDOWN, new LongAdder()));
  private final ConcurrentHashMap<String, LongAdder> failed = new ConcurrentHashMap<>();
  final Histogram latency;

  WebhookMetrics(PrometheusRegistry registry, IntSupplier queued) {
    CounterWithCallback.builder().name("chorus_webhook_events_sent")
        .help("webhook events the backend accepted (2xx)").callback(cb -> cb.call(sent.sum())).register(registry);
    CounterWithCallback.builder().name("chorus_webhook_batches_sent")
        .help("webhook batches (POSTs) the backend accepted (2xx)").callback(cb -> cb.call(batches.sum())).register(registry);
    CounterWithCallback.builder().name("chorus_webhook_events_dropped")
        .help("webhook events given up, by reason: queue_full (chorus.webhooks.queue-size), attempts (max-attempts"
            + " failed), expired (max-age passed), rejected (the backend answered 4xx), shutdown (the node stopped)")
        .labelNames("reason").callback(cb -> dropped.forEach((r, n) -> cb.call(n.sum(), r))).register(registry);
    CounterWithCallback.builder().name("chorus_webhook_failed_attempts")
        .help("webhook POSTs that failed, by kind: status_4xx, status_5xx, timeout, connect, io")
        .labelNames("kind").callback(cb -> failed.forEach((k, n) -> cb.call(n.sum(), k))).register(registry);
    GaugeWithCallback.builder().name("chorus_webhook_queue")
        .help("webhook events waiting to be sent (not counting the batch in flight)")
        .callback(cb -> cb.call(queued.getAsInt())).register(registry);
    latency = Histogram.builder().name("chorus_webhook_request_seconds")
        .help("webhook POSTs, from sending to the backend's answer (any status)")
        .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
        .register(registry);
  }

  void sent(int events) {
    sent.add(events);
    batches.increment();
  }

  void dropped(String reason, int events) {
    dropped.computeIfAbsent(reason, k -> new LongAdder()).add(events);
  }

  void failedAttempt(String kind) {
    failed.computeIfAbsent(kind, k -> new LongAdder()).increment();
  }

  public long sent() {
    return sent.sum();
  }

  public long dropped(String reason) {
    LongAdder a = dropped.get(reason);
    return a == null ? 0 : a.sum();
  }

  public long failedAttempts(String kind) {
    LongAdder a = failed.get(kind);
    return a == null ? 0 : a.sum();
  }
}
