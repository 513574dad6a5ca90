package dev.chorus.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Server-Sent Events client of a test: its events (type and JSON data) as they come, read by a
 * thread of its own; {@link #close} ends the stream as a closed browser tab does (the connection goes).
 */
final class SseClient implements AutoCloseable {
  record Event(String type, JsonNode data) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpResponse<InputStream> response;
  private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

  private SseClient(HttpResponse<InputStream> response) {
    this.response = response;
    Thread reader = new Thread(this::read, "sse-client");
    reader.setDaemon(true);
    reader.start();
  }

  /** Opens the stream; its status and head are in {@link #response()}, its events come only with a 200. */
  static SseClient open(HttpClient http, URI uri, String key) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + key)
        .header("Accept", "text/event-stream").GET().build();
    return new SseClient(http.send(request, HttpResponse.BodyHandlers.ofInputStream()));
  }

  HttpResponse<InputStream> response() {
    return response;
  }

  private void read() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String type = "message";
      StringBuilder data = new StringBuilder();
      for (String line; (line = in.readLine()) != null; ) {
        if (line.isEmpty()) {
          if (data.length() > 0) events.add(new Event(type, JSON.readTree(data.toString())));
          type = "message";
          data.setLength(0);
        } else if (line.startsWith("event:")) {
          type = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          if (data.length() > 0) data.append('\n');
          data.append(line.substring(5).trim());
        }
      }
      events.add("end");
    } catch (Exception e) {
      events.add(e);
    }
  }

  /** The next event, or an AssertionError when none comes within {@code timeout} or the stream ended. */
  Event next(Duration timeout) throws InterruptedException {
    Object e = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (e instanceof Event event) return event;
    throw new AssertionError("no event within " + timeout + (e == null ? "" : ": " + e));
  }

  /** Skips events until one of {@code type} satisfies {@code p}, within {@code deadline} in all. */
  Event await(String what, String type, java.util.function.Predicate<JsonNode> p, Duration deadline) throws InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    while (true) {
      long left = end - System.nanoTime();
      if (left <= 0) throw new AssertionError("timed out after " + deadline + " waiting for: " + what);
      Event e = next(Duration.ofNanos(left));
      if (e.type().equals(type) && p.test(e.data())) return e;
    }
  }

  @Override
  public void close() throws Exception {
    response.body().close();
  }
}
