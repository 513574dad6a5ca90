package dev.chorus.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.chorus.hooks.HookSignature;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * An application backend for hook tests: a real HTTP server (the JDK's) on a free port that
 * checks every request's signature, keeps what it received, and answers with {@code answer}
 * (a request's JSON body to an answer). An answer may hold itself back ({@link #hold}) to play
 * a slow backend, or be an HTTP status ({@link Answer#status}).
 */
public final class HookBackend implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the backend sends back: a status and a JSON body. */
  public record Answer(int status, String body) {
    public static Answer json(String body) {
      return new Answer(200, body);
    }

    public static Answer status(int status) {
      return new Answer(status, "{}");
    }
  }

  /** One request as received: its path, body, and whether its signature was right. */
  public record Received(String path, JsonNode body, boolean signed, String requestIdHeader) {}

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final String secret;
  private volatile Function<Received, Answer> answer;
  private volatile CountDownLatch hold = new CountDownLatch(0);
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger held = new AtomicInteger();

  public HookBackend(String secret, Function<Received, Answer> answer) throws IOException {
    this.secret = secret;
    this.answer = answer;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  /** The URL of {@code path} on this backend. */
  public String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  public void answer(Function<Received, Answer> answer) {
    this.answer = answer;
  }

  /** From now on every request waits until {@link #release} before it is answered. */
  public void hold() {
    hold = new CountDownLatch(1);
  }

  public void release() {
    hold.countDown();
  }

  /** Requests waiting in {@link #hold} now. */
  public int held() {
    return held.get();
  }

  public List<Received> received() {
    return received;
  }

  /** The requests received at {@code path}. */
  public List<Received> received(String path) {
    return received.stream().filter(r -> r.path().equals(path)).toList();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      String signature = exchange.getRequestHeaders().getFirst(HookSignature.HEADER);
      boolean signed = HookSignature.verify(secret, body, signature);
      Received r = new Received(exchange.getRequestURI().getPath(), JSON.readTree(body), signed,
          exchange.getRequestHeaders().getFirst(HookSignature.REQUEST_ID_HEADER));
      received.add(r);
      CountDownLatch latch = hold;
      held.incrementAndGet();
      try {
        latch.await(60, TimeUnit.SECONDS); // a slow backend, until the test releases it
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        held.decrementAndGet();
      }
      Answer a = signed ? answer.apply(r) : new Answer(401, "{\"error\":\"bad signature\"}");
      byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(a.status(), out.length);
      try (OutputStream os = exchange.getResponseBody()) {
        os.write(out);
      }
    } catch (IOException e) {
      // the node gave up on this request (its timeout): nothing to answer
    }
  }

  @Override
  public void close() {
    release();
    server.stop(0);
    executor.shutdownNow();
  }
}
