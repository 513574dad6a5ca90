package dev.chorus.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.testkit.TestSocket;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A Phoenix Channels v2 client on a raw test socket: joins, pushes, reads broadcasts in order. */
final class PhxClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  final TestSocket socket;
  final int node;
  private int ref;
  /** Broadcasts read while waiting for a reply, handed out by {@link #broadcasts}. */
  private final List<JsonNode> pending = new ArrayList<>();

  private PhxClient(TestSocket socket, int node) {
    this.socket = socket;
    this.node = node;
  }

  static PhxClient connect(NodeProcess node) throws IOException {
    return new PhxClient(TestSocket.connect(node.placement.wsHost(), node.wsPort, "/socket/websocket?vsn=2.0.0", 0), node.index);
  }

  /** Joins and waits for the ok reply; fails on an error reply. */
  void join(String topic) throws IOException {
    join(topic, "{}");
  }

  /** Joins with a payload; returns the ok reply's response. */
  JsonNode join(String topic, String payload) throws IOException {
    String r = String.valueOf(++ref);
    socket.sendText("[\"" + r + "\",\"" + r + "\",\"" + topic + "\",\"phx_join\"," + payload + "]");
    JsonNode reply = awaitReply(r);
    if (!"ok".equals(reply.path(4).path("status").asText())) throw new IOException("join of " + topic + " refused: " + reply);
    return reply.path(4).path("response");
  }

  /** Pushes without waiting; its reply is read (and skipped) later. */
  void push(String topic, String event, String payloadJson) throws IOException {
    String r = String.valueOf(++ref);
    socket.sendText("[\"1\",\"" + r + "\",\"" + topic + "\",\"" + event + "\"," + payloadJson + "]");
  }

  /** Reads until {@code count} broadcasts of {@code topic} have arrived (replies and presence are skipped). */
  List<JsonNode> broadcasts(String topic, int count, Duration timeout) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode b : pending) if (topic.equals(b.path(2).asText())) out.add(b);
    pending.removeIf(b -> topic.equals(b.path(2).asText()));
    long end = System.nanoTime() + timeout.toNanos();
    while (out.size() < count) {
      long left = (end - System.nanoTime()) / 1_000_000;
      if (left <= 0) throw new SocketTimeoutException("node " + node + ": " + out.size() + " of " + count + " broadcasts of " + topic);
      JsonNode f = next(Duration.ofMillis(left));
      if (isBroadcast(f) && topic.equals(f.path(2).asText()) && !f.path(3).asText().startsWith("presence_")) {
        out.add(f);
      }
    }
    return out;
  }

  private JsonNode awaitReply(String r) throws IOException {
    while (true) {
      JsonNode f = next(Duration.ofSeconds(15));
      if ("phx_reply".equals(f.path(3).asText()) && r.equals(f.path(1).asText())) return f;
      if (isBroadcast(f) && !f.path(3).asText().startsWith("presence_")) pending.add(f);
    }
  }

  /** [null, "<epoch>:<seq>", topic, event, payload]: no join ref, not a reply. */
  static boolean isBroadcast(JsonNode f) {
    return f.path(0).isNull() && !"phx_reply".equals(f.path(3).asText());
  }

  private JsonNode next(Duration timeout) throws IOException {
    TestSocket.Received r = socket.receive(timeout);
    if (r.isClose()) throw new IOException("closed by the server: " + r.closeCode() + " " + r.closeReason());
    return JSON.readTree(r.text());
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
