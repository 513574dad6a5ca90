package dev.chorus.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Phoenix Channels v2 test client, for every test that talks to a node over a WebSocket
 * (in-process nodes and the multi-JVM cluster alike). A deliberately small client over a plain
 * socket, so that a test controls every byte; two levels:
 *
 * <ul>
 *   <li>WebSocket: {@link #sendText}, {@link #sendFrame} (any opcode, FIN, unmasked),
 *       {@link #sendRaw}; {@link #receive} a raw frame; {@link #awaitClose} and
 *       {@link #expectClose} for close codes. A receive buffer can be set before connecting
 *       (a client on a bad network that reads slowly).
 *   <li>Phoenix: frames are {@code [join_ref, ref, topic, event, payload]}. {@link #next} reads
 *       them in order; {@link #expect} finds one and keeps the frames read past it, which
 *       {@link #next}, {@link #expect} and {@link #broadcasts} see first; {@link #skipTo} drops
 *       them. {@link #join}, {@link #push}, {@link #pushOk} and {@link #assertHeartbeatAnswered}
 *       are the round trips most tests need. Binary messages (Phoenix V2 binary):
 *       {@link #pushBinary} sends one; a binary broadcast is read as a frame among the others,
 *       {@code [null, null, topic, event, {"binary": "<base64>"}]} ({@link #binaryPayload}).
 * </ul>
 *
 * Every read has a deadline: the one given, else this client's {@link #withWait wait} (10 s
 * unless set). A wait that ends throws {@link SocketTimeoutException} naming what was awaited
 * and what was read meanwhile.
 */
public final class PhxClient implements AutoCloseable {
  /** The query of a Phoenix Channels v2 client. */
  public static final String VSN = "vsn=2.0.0";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CONTENT_LENGTH = Pattern.compile("(?i)\r\ncontent-length: *(\\d+)");

  /** A frame received from the server. */
  public record Received(int opcode, byte[] payload) {
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    public boolean isClose() {
      return opcode == 0x8;
    }

    public int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
    }

    public String closeReason() {
      return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final String host;
  private final int port;
  /** Frames read past by {@link #expect} and friends, oldest first. */
  private final List<JsonNode> buffered = new ArrayList<>();
  /** The join_ref of each topic joined through {@link #join} or {@link #sendJoin}. */
  private final Map<String, String> joinRefs = new HashMap<>();
  private Duration wait = Duration.ofSeconds(10);
  private String name;
  private int refs;
  private int heartbeats;
  private String upgradeHead = "";

  private PhxClient(Socket socket, String host, int port) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
    this.host = host;
    this.port = port;
    this.name = "client of " + host + ":" + port;
  }

  // ---------------------------------------------------------------------------------------
  // Connecting
  // ---------------------------------------------------------------------------------------

  /** A Phoenix v2 client of the node on {@code 127.0.0.1:port}. */
  public static PhxClient connect(int port) throws IOException {
    return connect(port, VSN);
  }

  /**
   * Connects to {@code /socket/websocket?query} ({@code query} as it is: {@code "vsn=2.0.0&user=ada"};
   * empty for none). A refused upgrade throws {@link UpgradeRefused}: its status and reason.
   */
  public static PhxClient connect(int port, String query) throws IOException {
    return connect("127.0.0.1", port, query, 0);
  }

  /** As {@link #connect(int, String)}, to {@code host}; a receiveBuffer above 0 sets SO_RCVBUF first. */
  public static PhxClient connect(String host, int port, String query, int receiveBuffer) throws IOException {
    return connect(host, port, query, receiveBuffer, "");
  }

  /**
   * As {@link #connect(int, String)}, with more request headers ({@code "Origin: https://a.example\r\n"}
   * for a browser's page; each ends with CRLF).
   */
  public static PhxClient connectWithHeaders(int port, String query, String headers) throws IOException {
    return connect("127.0.0.1", port, query, 0, headers);
  }

  private static PhxClient connect(String host, int port, String query, int receiveBuffer, String headers) throws IOException {
    Socket s = new Socket();
    try {
      if (receiveBuffer > 0) s.setReceiveBufferSize(receiveBuffer);
      s.connect(new InetSocketAddress(host, port), 5000);
      s.setSoTimeout(10_000);
      PhxClient c = new PhxClient(s, host, port);
      c.handshake(query.isEmpty() ? "/socket/websocket" : "/socket/websocket?" + query, headers);
      return c;
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /** Sets how long reads without a deadline of their own wait. */
  public PhxClient withWait(Duration wait) {
    this.wait = wait;
    return this;
  }

  /** Names this client in failure messages ("node 2"). */
  public PhxClient named(String name) {
    this.name = name;
    return this;
  }

  public String name() {
    return name;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public Duration waitTime() {
    return wait;
  }

  private void handshake(String pathAndQuery, String headers) throws IOException {
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    String request = "GET " + pathAndQuery + " HTTP/1.1\r\n"
        + "Host: " + host + "\r\n"
        + "Upgrade: websocket\r\n"
        + "Connection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
        + "Sec-WebSocket-Version: 13\r\n"
        + headers + "\r\n";
    out.write(request.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    String head = readHttpHead();
    upgradeHead = head;
    if (!head.startsWith("HTTP/1.1 101")) {
      Matcher length = CONTENT_LENGTH.matcher(head);
      String body = length.find() ? new String(in.readNBytes(Integer.parseInt(length.group(1))), StandardCharsets.UTF_8) : "";
      throw new UpgradeRefused(head, body);
    }
  }

  /** The head of the server's 101 answer (status line and headers). */
  public String upgradeHead() {
    return upgradeHead;
  }

  /** The server answered the upgrade with another status than 101; the message holds the head. */
  public static final class UpgradeRefused extends IOException {
    private final String head;
    private final String body;

    UpgradeRefused(String head, String body) {
      super("upgrade refused: " + head + body);
      this.head = head;
      this.body = body;
    }

    /** The status code: 403, 429, ... */
    public int status() {
      return Integer.parseInt(head.split(" ", 3)[1]);
    }

    public String head() {
      return head;
    }

    /** The response body (its reason), as long as content-length says. */
    public String body() {
      return body;
    }
  }

  /** Reads the response head and returns it. */
  private String readHttpHead() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) throw new EOFException("connection closed during handshake: " + head);
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  // ---------------------------------------------------------------------------------------
  // WebSocket level
  // ---------------------------------------------------------------------------------------

  /** Sends a masked text frame. */
  public void sendText(String text) throws IOException {
    sendFrame(0x1, text.getBytes(StandardCharsets.UTF_8), true, true);
  }

  /** Sends a frame with full control over opcode, FIN and masking. */
  public void sendFrame(int opcode, byte[] payload, boolean fin, boolean masked) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write((fin ? 0x80 : 0) | opcode);
    int maskBit = masked ? 0x80 : 0;
    if (payload.length < 126) {
      f.write(maskBit | payload.length);
    } else if (payload.length < 65536) {
      f.write(maskBit | 126);
      f.write(payload.length >> 8);
      f.write(payload.length);
    } else {
      f.write(maskBit | 127);
      for (int i = 7; i >= 0; i--) f.write((int) (((long) payload.length) >>> (8 * i)));
    }
    byte[] body = payload.clone();
    if (masked) {
      byte[] mask = new byte[4];
      ThreadLocalRandom.current().nextBytes(mask);
      f.write(mask);
      for (int i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
    }
    f.write(body);
    if (together != null) {
      together.write(f.toByteArray());
      return;
    }
    out.write(f.toByteArray());
    out.flush();
  }

  /** What {@link #together} collects; null while frames are written as they are sent. */
  private ByteArrayOutputStream together;

  /** Something that sends frames. */
  public interface Sends {
    void run() throws IOException;
  }

  /**
   * Sends every frame {@code frames} sends in one write, so that the server reads them together,
   * as it reads what a client flushes at once (phoenix.js's buffered pushes after a join's ok).
   */
  public void together(Sends frames) throws IOException {
    together = new ByteArrayOutputStream();
    byte[] all;
    try {
      frames.run();
    } finally {
      all = together.toByteArray();
      together = null;
    }
    out.write(all);
    out.flush();
  }

  /** Sends raw bytes as they are. */
  public void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /**
   * The next frame from the socket, waiting at most {@code timeout}; throws
   * SocketTimeoutException after it. Not for a client with frames read past ({@link #buffered}).
   */
  public Received receive(Duration timeout) throws IOException {
    if (!buffered.isEmpty()) throw new IllegalStateException("frames were read past (use next or expect): " + buffered);
    return read(timeout);
  }

  private Received read(Duration timeout) throws IOException {
    socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    long len = b1 & 0x7F;
    if (len == 126) len = in.readUnsignedShort();
    else if (len == 127) len = in.readLong();
    byte[] payload = new byte[(int) len];
    in.readFully(payload);
    return new Received(b0 & 0x0F, payload);
  }

  /** The next frame's text, skipping nothing: fails if it is not a text frame. */
  public String receiveText() throws IOException {
    Received r = receive(wait);
    if (r.opcode() != 0x1) throw new IOException("expected a text frame, got opcode " + r.opcode() + " " + r.text());
    return r.text();
  }

  /**
   * Reads until the server's close frame, which it echoes and returns, or the end of the stream
   * (null: the server aborted the connection). Text frames read on the way are kept
   * ({@link #buffered}). Throws SocketTimeoutException when neither comes within {@code timeout}.
   */
  public Received awaitClose(Duration timeout) throws IOException {
    return readToClose(timeout, false);
  }

  /**
   * The server's close frame within this client's wait, which it echoes and returns; only text
   * frames (kept, {@link #buffered}) may come before it, and the connection may not end
   * without it.
   */
  public Received expectClose() throws IOException {
    return readToClose(wait, true);
  }

  private Received readToClose(Duration timeout, boolean strict) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Received r;
      try {
        r = read(left(deadline, "a close frame within " + timeout));
      } catch (EOFException | SocketException e) {
        if (strict) throw new AssertionError(name + ": the connection ended without a close frame: " + e + "; read " + shown());
        return null;
      }
      if (r.isClose()) {
        try {
          sendFrame(0x8, Arrays.copyOf(r.payload(), Math.min(2, r.payload().length)), true, true);
        } catch (IOException ignored) {
          // the server may already have dropped the connection
        }
        return r;
      }
      if (r.opcode() == 0x1 || r.opcode() == 0x2) buffered.add(phoenix(r, "a close frame"));
      else if (strict) throw new AssertionError(name + ": a text or binary frame before the close, got opcode " + r.opcode());
    }
  }

  /** What is left of a deadline, as a read timeout; throws when nothing is left. */
  private Duration left(long deadline, String what) throws SocketTimeoutException {
    long left = (deadline - System.nanoTime()) / 1_000_000;
    if (left <= 0) throw timedOut(what);
    return Duration.ofMillis(left);
  }

  private SocketTimeoutException timedOut(String what) {
    return new SocketTimeoutException(name + ": timed out waiting for " + what + "; read meanwhile " + shown());
  }

  private String shown() {
    int n = buffered.size();
    return n <= 20 ? buffered.toString() : n + " frames, the last 20: " + buffered.subList(n - 20, n);
  }

  // ---------------------------------------------------------------------------------------
  // Phoenix level: reading
  // ---------------------------------------------------------------------------------------

  /** The next Phoenix frame: the oldest one read past, else the next from the socket. */
  public JsonNode next() throws IOException {
    return next(wait);
  }

  public JsonNode next(Duration timeout) throws IOException {
    if (!buffered.isEmpty()) return buffered.remove(0);
    return readPhoenix(System.nanoTime() + timeout.toNanos(), "the next frame");
  }

  /** A text frame from the socket, as a 5-element Phoenix frame; a close frame throws. */
  private JsonNode readPhoenix(long deadline, String what) throws IOException {
    Received r;
    try {
      r = read(left(deadline, what));
    } catch (SocketTimeoutException e) {
      throw timedOut(what);
    }
    if (r.isClose()) throw new IOException(name + ": closed by the server (" + r.closeCode() + " " + r.closeReason() + ") waiting for " + what);
    return phoenix(r, what);
  }

  /**
   * A text frame as its 5-element Phoenix frame; a binary broadcast (Phoenix V2 binary, kind 2:
   * topic, event, payload) as {@code [null, null, topic, event, {"binary": "<base64>"}]}, so that
   * it takes its place among the others ({@link #binaryPayload} gives its bytes back).
   */
  private JsonNode phoenix(Received r, String what) throws IOException {
    if (r.opcode() == 0x2) return binaryBroadcast(r.payload());
    if (r.opcode() != 0x1) throw new AssertionError(name + ": a text or binary frame, got opcode " + r.opcode() + " waiting for " + what);
    JsonNode f = JSON.readTree(r.text());
    if (!f.isArray() || f.size() != 5) throw new AssertionError(name + ": a 5-element frame, got " + f);
    return f;
  }

  private JsonNode binaryBroadcast(byte[] m) {
    if (m.length < 3 || m[0] != 2 || 3 + (m[1] & 0xFF) + (m[2] & 0xFF) > m.length) {
      throw new AssertionError(name + ": a binary broadcast (kind 2), got " + Arrays.toString(Arrays.copyOf(m, Math.min(m.length, 16))));
    }
    int topicLength = m[1] & 0xFF, eventLength = m[2] & 0xFF;
    String topic = new String(m, 3, topicLength, StandardCharsets.UTF_8);
    String event = new String(m, 3 + topicLength, eventLength, StandardCharsets.UTF_8);
    byte[] payload = Arrays.copyOfRange(m, 3 + topicLength + eventLength, m.length);
    ArrayNode f = JSON.createArrayNode().addNull().addNull().add(topic).add(event);
    f.addObject().put("binary", Base64.getEncoder().encodeToString(payload));
    return f;
  }

  /** The bytes of a binary broadcast as {@link #next} and the others give it; null for a JSON frame. */
  public static byte[] binaryPayload(JsonNode f) {
    JsonNode b = f.get(4).get("binary");
    return f.get(1).isNull() && b != null && b.isTextual() && f.get(4).size() == 1 ? Base64.getDecoder().decode(b.asText()) : null;
  }

  /** The first frame (read past before, or new) matching {@code p}; the others are kept. */
  public JsonNode expect(String what, Predicate<JsonNode> p) throws IOException {
    return expect(what, p, wait);
  }

  public JsonNode expect(String what, Predicate<JsonNode> p, Duration timeout) throws IOException {
    for (Iterator<JsonNode> it = buffered.iterator(); it.hasNext(); ) {
      JsonNode f = it.next();
      if (p.test(f)) {
        it.remove();
        return f;
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonNode f = readPhoenix(deadline, what);
      if (p.test(f)) return f;
      buffered.add(f);
    }
  }

  /** The next frame matching {@code p}; the frames before it are dropped. */
  public JsonNode skipTo(String what, Predicate<JsonNode> p) throws IOException {
    return skipTo(what, p, wait);
  }

  public JsonNode skipTo(String what, Predicate<JsonNode> p, Duration timeout) throws IOException {
    while (!buffered.isEmpty()) {
      JsonNode f = buffered.remove(0);
      if (p.test(f)) return f;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonNode f = readPhoenix(deadline, what);
      if (p.test(f)) return f;
    }
  }

  /** The phx_reply to {@code ref} ({@link #expect}: frames before it are kept). */
  public JsonNode reply(String ref) throws IOException {
    return expect("phx_reply to ref " + ref, f -> isReply(f) && ref.equals(f.get(1).asText()));
  }

  /** The next frame, which must be the phx_reply to {@code ref}. */
  public JsonNode nextReply(String ref) throws IOException {
    JsonNode f = next();
    if (!isReply(f) || !ref.equals(f.get(1).asText())) throw new AssertionError(name + ": the next frame is the phx_reply to ref " + ref + ", got " + f);
    return f;
  }

  /**
   * The next {@code count} broadcasts of {@code topic}, presence events left out: those read past
   * before first, then new ones; other frames read on the way are kept.
   */
  public List<JsonNode> broadcasts(String topic, int count, Duration timeout) throws IOException {
    Predicate<JsonNode> wanted = f -> isBroadcast(f) && topic.equals(f.get(2).asText()) && !f.get(3).asText().startsWith("presence_");
    List<JsonNode> got = new ArrayList<>();
    for (Iterator<JsonNode> it = buffered.iterator(); it.hasNext() && got.size() < count; ) {
      JsonNode f = it.next();
      if (wanted.test(f)) {
        it.remove();
        got.add(f);
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (got.size() < count) {
      JsonNode f = readPhoenix(deadline, count + " broadcasts of " + topic + " (got " + got.size() + ")");
      if (wanted.test(f)) got.add(f);
      else buffered.add(f);
    }
    return got;
  }

  /** The frames read past and kept, oldest first; a test may inspect and clear them. */
  public List<JsonNode> buffered() {
    return buffered;
  }

  public int count(Predicate<JsonNode> p) {
    return (int) buffered.stream().filter(p).count();
  }

  // ---------------------------------------------------------------------------------------
  // Phoenix level: sending
  // ---------------------------------------------------------------------------------------

  /** Sends {@code [joinRef, ref, topic, event, payload]} (payload as JSON text; null refs as null). */
  public void send(String joinRef, String ref, String topic, String event, String payload) throws IOException {
    ArrayNode f = JSON.createArrayNode().add(joinRef).add(ref).add(topic).add(event);
    f.addRawValue(new RawValue(payload));
    sendText(JSON.writeValueAsString(f));
  }

  /** Sends phx_join with {@code ref = joinRef}, as phoenix.js does, and remembers the join_ref. */
  public void sendJoin(String topic, String joinRef, String payload) throws IOException {
    joinRefs.put(topic, joinRef);
    send(joinRef, joinRef, topic, "phx_join", payload);
  }

  /** Joins with an empty payload under a join_ref of its own; see {@link #join(String, String, String)}. */
  public JsonNode join(String topic) throws IOException {
    return join(topic, "join-" + (++refs), "{}");
  }

  /** Joins and waits for the ok reply (frames before it are kept); returns the reply's response. */
  public JsonNode join(String topic, String joinRef, String payload) throws IOException {
    sendJoin(topic, joinRef, payload);
    JsonNode reply = reply(joinRef);
    if (!"ok".equals(status(reply))) throw new AssertionError(name + ": join of " + topic + " refused: " + reply);
    return reply.get(4).path("response");
  }

  /** Pushes to a joined topic under its join_ref without waiting; returns the push's ref. */
  public String push(String topic, String event, String payload) throws IOException {
    String joinRef = joinRefs.get(topic);
    if (joinRef == null) throw new IllegalStateException(name + " has not joined " + topic);
    String ref = "push-" + (++refs);
    send(joinRef, ref, topic, event, payload);
    return ref;
  }

  /**
   * Pushes {@code payload} as a Phoenix V2 binary message (kind 0: join_ref, ref, topic, event,
   * then the bytes, as phoenix.js sends an ArrayBuffer) to a joined topic, without waiting;
   * returns the push's ref.
   */
  public String pushBinary(String topic, String event, byte[] payload) throws IOException {
    String joinRef = joinRefs.get(topic);
    if (joinRef == null) throw new IllegalStateException(name + " has not joined " + topic);
    String ref = "push-" + (++refs);
    sendBinaryPush(joinRef, ref, topic, event, payload);
    return ref;
  }

  /** Sends a Phoenix V2 binary push of these fields (null refs as empty ones, as phoenix.js has no null there). */
  public void sendBinaryPush(String joinRef, String ref, String topic, String event, byte[] payload) throws IOException {
    sendFrame(0x2, binaryPush(joinRef, ref, topic, event, payload), true, true);
  }

  /** The bytes of a Phoenix V2 binary push: kind 0, the four lengths, the fields, the payload. */
  public static byte[] binaryPush(String joinRef, String ref, String topic, String event, byte[] payload) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[][] fields = new byte[4][];
    String[] strings = {joinRef, ref, topic, event};
    for (int i = 0; i < 4; i++) fields[i] = strings[i] == null ? new byte[0] : strings[i].getBytes(StandardCharsets.UTF_8);
    b.write(0);
    for (byte[] f : fields) b.write(f.length);
    for (byte[] f : fields) b.writeBytes(f);
    b.writeBytes(payload);
    return b.toByteArray();
  }

  /** Pushes and waits for the ok reply (the broadcast to itself, and anything else, is kept). */
  public JsonNode pushOk(String topic, String event, String payload) throws IOException {
    JsonNode reply = reply(push(topic, event, payload));
    if (!"ok".equals(status(reply))) throw new AssertionError(name + ": push " + event + " to " + topic + ": " + reply);
    return reply;
  }

  /** A heartbeat gets its ok reply (frames before it are kept). */
  public void assertHeartbeatAnswered() throws IOException {
    String ref = "hb" + (++heartbeats);
    send(null, ref, "phoenix", "heartbeat", "{}");
    JsonNode reply = reply(ref);
    if (!"phoenix".equals(reply.get(2).asText()) || !"ok".equals(status(reply))) {
      throw new AssertionError(name + ": heartbeat answered with " + reply);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Frames
  // ---------------------------------------------------------------------------------------

  public static boolean isReply(JsonNode f) {
    return "phx_reply".equals(f.get(3).asText());
  }

  /**
   * {@code [null, "<epoch>:<seq>", topic, event, payload]}: no join_ref, not a reply (a binary
   * broadcast has no position: {@code [null, null, topic, event, {"binary": ...}]}).
   */
  public static boolean isBroadcast(JsonNode f) {
    return f.get(0).isNull() && !isReply(f);
  }

  /** A reply's status ("ok", "error"). */
  public static String status(JsonNode reply) {
    return reply.get(4).path("status").asText();
  }

  /** An error reply's reason. */
  public static String reason(JsonNode reply) {
    return reply.get(4).path("response").path("reason").asText();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
