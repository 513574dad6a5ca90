package dev.chorus.hooks;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The hooks' metrics, in the node's registry: call latency, failures by kind, calls in flight,
 * and the backends' verdicts, each labelled by hook ({@code publish}, {@code rpc}, {@code join},
 * {@code connect}) and namespace (empty for connect). Backends' refusal reasons are free text,
 * so they are no label: a refusal counts as {@code outcome="refuse"}.
 */
public final class HookMetrics {
  private final Histogram latency;
  private final ConcurrentHashMap<List<String>, LongAdder> errors = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<List<String>, LongAdder> outcomes = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<List<String>, AtomicInteger> inFlight = new ConcurrentHashMap<>();

  public HookMetrics(PrometheusRegistry registry) {
    latency = Histogram.builder()
        .name("chorus_hook_latency_seconds")
        .help("time from a hook request sent to its answer (or failure), by hook and namespace")
        .labelNames("hook", "namespace")
        .register(registry);
    CounterWithCallback.builder()
        .name("chorus_hook_errors")
        .help("hook calls without a usable answer, by hook, namespace and kind: timeout, status, connection,"
            + " refused_by_breaker, busy, bad_answer")
        .labelNames("hook", "namespace", "kind")
        .callback(cb -> errors.forEach((k, n) -> cb.call(n.sum(), k.get(0), k.get(1), k.get(2))))
        .register(registry);
    CounterWithCallback.builder()
        .name("chorus_hook_outcomes")
        .help("hook calls by what the client got: allow, refuse (by the backend), failed_allow or failed_refuse"
            + " (no answer, the hook's on-failure policy applied)")
        .labelNames("hook", "namespace", "outcome")
        .callback(cb -> outcomes.forEach((k, n) -> cb.call(n.sum(), k.get(0), k.get(1), k.get(2))))
        .register(registry);
    GaugeWithCallback.builder()
        .name("chorus_hook_in_flight")
        .help("hook calls waiting for their answer, by hook and namespace (bounded by the hook's max-in-flight)")
        .labelNames("hook", "namespace")
        .callback(cb -> inFlight.forEach((k, n) -> cb.call(n.get(), k.get(0), k.get(1))))
        .register(registry);
  }

  AtomicInteger inFlight(String hook, String namespace) {
    return inFlight.computeIfAbsent(List.of(hook, namespace), k -> new AtomicInteger());
  }

  void observe(String hook, String namespace, double seconds) {
    latency.labelValues(hook, namespace).observe(seconds);
  }

  void error(String hook, String namespace, HookResult.FailureKind kind) {
    errors.computeIfAbsent(List.of(hook, namespace, kind.label()), k -> new LongAdder()).increment();
  }

  void outcome(String hook, String namespace, String outcome) {
    outcomes.computeIfAbsent(List.of(hook, namespace, outcome), k -> new LongAdder()).increment();
  }

  public long errors(String hook, String namespace, String kind) {
    LongAdder n = errors.get(List.of(hook, namespace, kind));
    return n == null ? 0 : n.sum();
  }

  public long outcomes(String hook, String namespace, String outcome) {
    LongAdder n = outcomes.get(List.of(hook, namespace, outcome));
    return n == null ? 0 : n.sum();
  }
}
