/**
 * The node's counters, gauges and histograms (Prometheus), a leaf every layer may use: the hot
 * path touches only LongAdders; {@code ops.MetricsRoute} exposes them at {@code /metrics}.
 */
package dev.chorus.metrics;
