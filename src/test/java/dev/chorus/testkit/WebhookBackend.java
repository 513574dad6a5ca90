package dev.chorus.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A backend for webhook tests: a real JDK HttpServer that records every request it gets (body,
 * headers, whether its signature verified, as a backend would check it) and answers with the
 * statuses it is told, then 200.
 */
public final class WebhookBackend implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One request as received. */
  public record Request(JsonNode body, String signature, String requestId, boolean signatureValid, int answered) {}

  private final HttpServer server;
  private final String secret;
  private final ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();
  private final CopyOnWriteArrayList<Request> requests = new CopyOnWriteArrayList<>();
  private volatile int defaultStatus = 200;
  private final AtomicInteger counter = new AtomicInteger();

  public WebhookBackend(String secret) throws IOException {
    this.secret = secret;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/hooks", this::handle);
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks";
  }

  /** The next requests are answered with these statuses, in order; then with the default. */
  public void answer(int... next) {
    for (int s : next) statuses.add(s);
  }

  /** What requests are answered with once the told statuses are used up (200 at first). */
  public void answerAlways(int status) {
    defaultStatus = status;
  }

  private void handle(HttpExchange exchange) throws IOException {
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readAllBytes();
    }
    String signature = exchange.getRequestHeaders().getFirst("X-Chorus-Signature");
    Integer told = statuses.poll();
    int status = told == null ? defaultStatus : told;
    counter.incrementAndGet();
    requests.add(new Request(JSON.readTree(body), signature, exchange.getRequestHeaders().getFirst("X-Chorus-Request-Id"),
        verify(body, signature), status));
    exchange.sendResponseHeaders(status, -1);
    exchange.close();
  }

  /** As a backend verifies: HMAC-SHA256 of the raw body with the shared secret, compared in constant time. */
  private boolean verify(byte[] body, String signature) {
    if (signature == null || !signature.startsWith("sha256=")) return false;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      byte[] expected = HexFormat.of().formatHex(mac.doFinal(body)).getBytes(StandardCharsets.US_ASCII);
      return MessageDigest.isEqual(expected, signature.substring(7).getBytes(StandardCharsets.US_ASCII));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** The events of the requests answered 2xx, in order. */
  public List<JsonNode> delivered() {
    List<JsonNode> events = new ArrayList<>();
    for (Request r : requests) {
      if (r.answered() >= 200 && r.answered() < 300) r.body().path("events").forEach(events::add);
    }
    return events;
  }

  /** Delivered events of {@code topic}, as "name user" strings ("topic_occupied" alone for topic events). */
  public List<String> delivered(String topic) {
    List<String> out = new ArrayList<>();
    for (JsonNode e : delivered()) {
      if (!topic.equals(e.path("topic").asText())) continue;
      out.add(e.path("name").asText() + (e.has("user") ? " " + e.path("user").asText() : ""));
    }
    return out;
  }

  public void clear() {
    requests.clear();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
