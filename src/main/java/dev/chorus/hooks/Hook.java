package dev.chorus.hooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.Scheduler;
import org.apache.pekko.pattern.CircuitBreaker;
import org.apache.pekko.pattern.CircuitBreakerOpenException;

/**
 * One configured hook of one namespace (or the node's connect hook): its URL, at most
 * max-in-flight calls at once (the next fails at once as "busy", so a slow backend cannot pile
 * up requests), and a circuit breaker that stops calling a backend after max-failures failures
 * in a row, for reset-timeout, so clients get their failure answer at once instead of a timeout
 * each. {@link #call} never blocks and its stage never fails: every outcome is a {@link HookResult}.
 */
public final class Hook {

  /** Reads a backend's answer: {@link HookAnswer#verdict} or {@link HookAnswer#rpc}. */
  @FunctionalInterface
  public interface Parser {
    HookAnswer parse(byte[] body) throws HookAnswer.BadAnswer;
  }

  private static final class StatusException extends Exception {
    StatusException(int status) {
      super("hook answered HTTP " + status, null, false, false);
    }
  }

  private final String name;
  private final String namespace;
  private final HookSettings settings;
  private final URI uri;
  private final HttpClient client;
  private final String secret;
  private final String node;
  private final int maxAnswerBytes;
  private final HookMetrics metrics;
  private final AtomicInteger inFlight;
  private final CircuitBreaker breaker;

  Hook(String name, String namespace, HookSettings settings, HttpClient client, String secret, String node, int maxAnswerBytes,
      HookMetrics metrics, Scheduler scheduler) {
    this.name = name;
    this.namespace = namespace;
    this.settings = settings;
    this.uri = URI.create(settings.url());
    this.client = client;
    this.secret = secret;
    this.node = node;
    this.maxAnswerBytes = maxAnswerBytes;
    this.metrics = metrics;
    this.inFlight = metrics.inFlight(name, namespace);
    this.breaker = CircuitBreaker.create(scheduler, settings.maxFailures(), settings.timeout(), settings.resetTimeout());
  }

  /**
   * Whether the breaker is open now. Pekko's breaker counts a failure in a callback of the call's
   * future, which may run after the caller has seen the failure: the next call right after may
   * still go out (the breaker opens one call later). Tests that expect the refusal wait for this.
   */
  boolean breakerOpen() {
    return breaker.isOpen();
  }

  public HookSettings settings() {
    return settings;
  }

  /**
   * Posts {@code fields} with the common fields for {@code user} and {@code connId}, and reads
   * the answer with {@code parser}. The stage completes on an HTTP client thread: an actor
   * takes it with pipeToSelf.
   */
  public CompletionStage<HookResult> call(String user, String connId, ObjectNode fields, Parser parser) {
    if (inFlight.incrementAndGet() > settings.maxInFlight()) {
      inFlight.decrementAndGet();
      return CompletableFuture.completedFuture(failed(HookResult.FailureKind.BUSY));
    }
    String requestId = UUID.randomUUID().toString();
    byte[] body = HookRequest.render(name, requestId, node, System.currentTimeMillis(), user, connId, fields);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri)
        .timeout(settings.timeout())
        .header("Content-Type", "application/json")
        .header(HookSignature.REQUEST_ID_HEADER, requestId)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (!secret.isEmpty()) request.header(HookSignature.HEADER, HookSignature.sign(secret, body));
    long start = System.nanoTime();
    // The exchange, once the breaker lets it start: the in-flight count ends with it, not with
    // the breaker's timeout, so a backend still sending counts until it is cut off.
    AtomicReference<CompletableFuture<HttpResponse<byte[]>>> exchange = new AtomicReference<>();
    CompletionStage<HookAnswer> answer = breaker.callWithCircuitBreakerCS(() -> {
      CompletableFuture<HttpResponse<byte[]>> sent = client.sendAsync(request.build(), info -> new BoundedBody(maxAnswerBytes));
      exchange.set(sent);
      sent.whenComplete((r, e) -> inFlight.decrementAndGet());
      return sent.thenApply(r -> {
        if (r.statusCode() != 200) throw new CompletionException(new StatusException(r.statusCode()));
        try {
          return parser.parse(r.body());
        } catch (HookAnswer.BadAnswer e) {
          throw new CompletionException(e);
        }
      });
    });
    return answer.handle((a, e) -> {
      CompletableFuture<HttpResponse<byte[]>> sent = exchange.get();
      if (sent == null) {
        inFlight.decrementAndGet(); // the breaker refused the call: nothing was sent
      } else {
        metrics.observe(name, namespace, (System.nanoTime() - start) / 1e9);
        if (e != null) sent.cancel(true); // the breaker's timeout: abort the exchange
      }
      if (e == null) {
        metrics.outcome(name, namespace, a.allowed() ? "allow" : "refuse");
        return new HookResult.Answered(a);
      }
      return failed(kindOf(e));
    });
  }

  private HookResult failed(HookResult.FailureKind kind) {
    metrics.error(name, namespace, kind);
    if (settings.onFailure() == HookSettings.OnFailure.ALLOW) {
      metrics.outcome(name, namespace, "failed_allow");
      return new HookResult.Answered(HookAnswer.allow());
    }
    metrics.outcome(name, namespace, "failed_refuse");
    return new HookResult.Failed(kind);
  }

  static HookResult.FailureKind kindOf(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) e = e.getCause();
    if (e instanceof CircuitBreakerOpenException) return HookResult.FailureKind.REFUSED_BY_BREAKER;
    if (e instanceof HttpConnectTimeoutException) return HookResult.FailureKind.CONNECTION;
    if (e instanceof TimeoutException || e instanceof HttpTimeoutException) return HookResult.FailureKind.TIMEOUT;
    if (e instanceof StatusException) return HookResult.FailureKind.STATUS;
    if (e instanceof HookAnswer.BadAnswer || e instanceof BoundedBody.TooLarge) return HookResult.FailureKind.BAD_ANSWER;
    return HookResult.FailureKind.CONNECTION;
  }
}
