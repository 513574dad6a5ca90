package dev.chorus.webhooks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.hooks.HookSignature;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's webhook sender. Room entities {@link #offer} events (never blocking: a full queue
 * drops the event and counts it); one thread of its own batches them — up to batch-size events
 * or batch-interval, whichever comes first — as {@code {"request_id", "node", "ts", "events":
 * [...]}}, signs the body and POSTs it with the JDK HttpClient, asynchronously. One batch is in
 * flight at a time, so events leave in the order they came and the backend sees at most one
 * request per node at once. A failed batch (no answer within timeout, a 5xx, 408 or 429) is sent
 * again, the same bytes, after an exponential backoff with jitter, until max-attempts or
 * max-age; a 4xx is the backend refusing it, and it is dropped. Every drop is counted by reason.
 */
public final class WebhookSender implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final WebhookSettings settings;
  private final String node;
  private final EventQueue<WebhookEvent> queue;
  private final WebhookMetrics metrics;
  private final HttpClient http;
  private final URI url;
  /** The sender's own thread: batching, retries and answers are handled here, one at a time. */
  private final ScheduledExecutorService thread;
  /** Touched on {@link #thread} only. */
  private boolean inFlight;
  private volatile boolean closed;
  /** A full batch's send is asked of the thread already: one such task waits at most. */
  private final AtomicBoolean kicked = new AtomicBoolean();

  /** A sender for a node at {@code node} (its address, in each body); its metrics go into {@code registry}. */
  public WebhookSender(WebhookSettings settings, String node, PrometheusRegistry registry) {
    this.settings = settings;
    this.node = node;
    this.queue = new EventQueue<>(settings.queueSize());
    this.metrics = new WebhookMetrics(registry, queue::size);
    this.url = URI.create(settings.url());
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "chorus-webhooks");
      t.setDaemon(true);
      return t;
    });
    this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).executor(thread).build();
    long interval = settings.batchInterval().toMillis();
    thread.scheduleWithFixedDelay(this::sendNext, interval, interval, TimeUnit.MILLISECONDS);
  }

  public WebhookMetrics metrics() {
    return metrics;
  }

  /** Queues an event; never blocks. Over queue-size it is dropped (counted: queue_full). */
  public void offer(WebhookEvent event) {
    if (closed) {
      metrics.dropped(WebhookMetrics.SHUTDOWN, 1);
    } else if (!queue.offer(event)) {
      metrics.dropped(WebhookMetrics.QUEUE_FULL, 1);
    } else if (queue.size() >= settings.batchSize() && kicked.compareAndSet(false, true)) {
      thread.execute(() -> { // a full batch goes at once, not at the next interval
        kicked.set(false);
        sendNext();
      });
    }
  }

  /** A batch to send, with what its retries need: the same body (so the same ids) every time. */
  private record Batch(String requestId, byte[] body, String signature, int events, long createdNanos) {}

  /** On the thread: the next batch, unless one is in flight (its end calls this again). */
  private void sendNext() {
    if (inFlight || closed) return;
    List<WebhookEvent> events = queue.take(settings.batchSize());
    if (events.isEmpty()) return;
    inFlight = true;
    String requestId = UUID.randomUUID().toString();
    ObjectNode body = JSON.createObjectNode();
    body.put("request_id", requestId);
    body.put("node", node);
    body.put("ts", System.currentTimeMillis());
    ArrayNode array = body.putArray("events");
    for (WebhookEvent e : events) array.add(e.toJson());
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException("a tree of plain values always renders", e);
    }
    attempt(new Batch(requestId, bytes, settings.secret().isEmpty() ? null : HookSignature.sign(settings.secret(), bytes), events.size(), System.nanoTime()), 1);
  }

  private void attempt(Batch batch, int attempt) {
    if (closed) return;
    HttpRequest.Builder request = HttpRequest.newBuilder(url)
        .timeout(settings.timeout())
        .header("Content-Type", "application/json")
        .header(HookSignature.REQUEST_ID_HEADER, batch.requestId())
        .POST(HttpRequest.BodyPublishers.ofByteArray(batch.body()));
    if (batch.signature() != null) request.header(HookSignature.HEADER, batch.signature());
    long started = System.nanoTime();
    http.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding())
        .whenCompleteAsync((response, error) -> {
          metrics.latency.observe((System.nanoTime() - started) / 1e9);
          answered(batch, attempt, response == null ? -1 : response.statusCode(), error);
        }, thread);
  }

  /** On the thread: the outcome of one attempt. */
  private void answered(Batch batch, int attempt, int status, Throwable error) {
    if (status >= 200 && status < 300) {
      metrics.sent(batch.events());
      done();
      return;
    }
    String kind = status > 0 ? (status >= 500 ? "status_5xx" : "status_4xx") : failureKind(error);
    metrics.failedAttempt(kind);
    if (status >= 400 && status < 500 && status != 408 && status != 429) {
      log.warn("webhook batch {} refused by the backend ({}): {} events dropped", batch.requestId(), status, batch.events());
      metrics.dropped(WebhookMetrics.REJECTED, batch.events());
      done();
      return;
    }
    long waitMs = settings.backoff().delay(attempt, ThreadLocalRandom.current().nextDouble()).toMillis();
    long ageMs = (System.nanoTime() - batch.createdNanos()) / 1_000_000;
    if (attempt >= settings.maxAttempts() || ageMs + waitMs > settings.maxAge().toMillis()) {
      String reason = attempt >= settings.maxAttempts() ? WebhookMetrics.ATTEMPTS : WebhookMetrics.EXPIRED;
      log.warn("webhook batch {} failed {} times ({}): {} events dropped", batch.requestId(), attempt, kind, batch.events());
      metrics.dropped(reason, batch.events());
      done();
      return;
    }
    log.debug("webhook batch {} failed ({}), attempt {} again in {} ms", batch.requestId(), kind, attempt + 1, waitMs);
    thread.schedule(() -> attempt(batch, attempt + 1), waitMs, TimeUnit.MILLISECONDS);
  }

  private void done() {
    inFlight = false;
    sendNext(); // a backlog drains at the backend's pace, not one batch per interval
  }

  private static String failureKind(Throwable error) {
    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (e instanceof HttpTimeoutException) return "timeout";
    if (e instanceof ConnectException) return "connect";
    return "io";
  }

  /** Stops sending; what waits is dropped (counted: shutdown). */
  @Override
  public void close() {
    closed = true;
    thread.shutdownNow();
    int left = queue.take(Integer.MAX_VALUE).size();
    if (left > 0) metrics.dropped(WebhookMetrics.SHUTDOWN, left);
  }
}
