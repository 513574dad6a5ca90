package dev.chorus.testkit;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A deliberately small WebSocket client over a plain socket, for tests that must control every
 * byte: malformed and unmasked frames, oversize messages, a client that never reads (with a
 * small receive buffer, like a client on a bad network), close codes.
 */
public final class TestSocket implements AutoCloseable {

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

  private TestSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  public static TestSocket connect(int port) throws IOException {
    return connect(port, "/socket/websocket?vsn=2.0.0", 0);
  }

  /** Connects; a receiveBuffer above 0 sets SO_RCVBUF before connecting (a slow client). */
  public static TestSocket connect(int port, String pathAndQuery, int receiveBuffer) throws IOException {
    return connect("127.0.0.1", port, pathAndQuery, receiveBuffer);
  }

  public static TestSocket connect(String host, int port, String pathAndQuery, int receiveBuffer) throws IOException {
    Socket s = new Socket();
    if (receiveBuffer > 0) s.setReceiveBufferSize(receiveBuffer);
    s.connect(new InetSocketAddress(host, port), 5000);
    s.setSoTimeout(10_000);
    TestSocket t = new TestSocket(s);
    t.handshake(pathAndQuery);
    return t;
  }

  private void handshake(String pathAndQuery) throws IOException {
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    String request = "GET " + pathAndQuery + " HTTP/1.1\r\n"
        + "Host: 127.0.0.1\r\n"
        + "Upgrade: websocket\r\n"
        + "Connection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
        + "Sec-WebSocket-Version: 13\r\n\r\n";
    out.write(request.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    String status = readHttpHead();
    if (!status.startsWith("HTTP/1.1 101")) throw new IOException("upgrade refused: " + status);
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
    out.write(f.toByteArray());
    out.flush();
  }

  /** Sends raw bytes as they are. */
  public void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** The next frame, waiting at most {@code timeout}; throws SocketTimeoutException after it. */
  public Received receive(Duration timeout) throws IOException {
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

  public Received receive() throws IOException {
    return receive(Duration.ofSeconds(10));
  }

  /** The next text frame's text, skipping nothing: fails if the next frame is not text. */
  public String receiveText() throws IOException {
    Received r = receive();
    if (r.opcode() != 0x1) throw new IOException("expected a text frame, got opcode " + r.opcode() + " " + r.text());
    return r.text();
  }

  /** Reads until the server's close frame (returned) or the end of the stream (null). */
  public Received awaitClose(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) throw new SocketTimeoutException("no close within " + timeout);
      try {
        Received r = receive(Duration.ofMillis(left));
        if (r.isClose()) return r;
      } catch (EOFException | java.net.SocketException e) {
        return null;
      }
    }
  }

  /** True when the server has closed the TCP connection (reads EOF or reset within timeout). */
  public boolean isClosedByPeer(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    InputStream raw = socket.getInputStream();
    byte[] buf = new byte[8192];
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (System.nanoTime() < deadline) {
        if (raw.read(buf) < 0) return true;
      }
      return false;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
