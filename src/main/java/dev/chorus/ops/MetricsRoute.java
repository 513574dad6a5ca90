package dev.chorus.ops;

import dev.chorus.metrics.Metrics;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * {@code GET /metrics} on the Pekko Management port: the node's {@link Metrics} in Prometheus
 * text format (version 0.0.4). Registered in pekko-overrides.conf under
 * {@code pekko.management.http.routes}.
 */
public final class MetricsRoute implements ManagementRouteProvider {
  private static final ContentType PROMETHEUS_TEXT =
      MediaTypes.TEXT_PLAIN.toContentType(HttpCharsets.UTF_8);
  private final Metrics metrics;
  private final PrometheusTextFormatWriter writer = new PrometheusTextFormatWriter(false);

  public MetricsRoute(ExtendedActorSystem system) {
    this.metrics = Metrics.get(system);
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return path("metrics", () -> get(() -> complete(HttpEntities.create(PROMETHEUS_TEXT, scrape()))));
  }

  private byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      writer.write(out, metrics.registry().scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
