package dev.chorus.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A plain TCP client for what no HTTP or WebSocket client sends: half a request, one byte at a
 * time, thousands of sockets that never finish. Reads have deadlines; a reset counts as closed.
 */
public final class RawSocket implements AutoCloseable {
  private final Socket socket;
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();

  private RawSocket(Socket socket) {
    this.socket = socket;
  }

  /** A connection to {@code 127.0.0.1:port}. */
  public static RawSocket open(int port) throws IOException {
    return open(null, port);
  }

  /** A connection to {@code 127.0.0.1:port} from {@code source} (e.g. "127.0.0.2"; null: any). */
  public static RawSocket open(String source, int port) throws IOException {
    Socket s = new Socket();
    try {
      if (source != null) s.bind(new InetSocketAddress(source, 0));
      s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      return new RawSocket(s);
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  public RawSocket send(String ascii) throws IOException {
    socket.getOutputStream().write(ascii.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return this;
  }

  /**
   * Waits until the server has closed the connection (end of stream, or a reset), reading what
   * it sent meanwhile; returns that text.
   *
   * @throws SocketTimeoutException when it is still open after {@code timeout}
   */
  public String awaitClosed(Duration timeout) throws IOException {
    long end = System.nanoTime() + timeout.toNanos();
    InputStream in = socket.getInputStream();
    byte[] buf = new byte[4096];
    while (true) {
      long left = Math.max(1, (end - System.nanoTime()) / 1_000_000);
      if (System.nanoTime() > end) throw new SocketTimeoutException("still open after " + timeout + "; received: " + received());
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
      int n;
      try {
        n = in.read(buf);
      } catch (SocketTimeoutException e) {
        throw new SocketTimeoutException("still open after " + timeout + "; received: " + received());
      } catch (SocketException reset) {
        return received();
      }
      if (n < 0) return received();
      received.write(buf, 0, n);
    }
  }

  /**
   * Reads until what the server sent contains {@code text}; returns all of it.
   *
   * @throws SocketTimeoutException when it has not after {@code timeout}
   * @throws java.io.EOFException when the connection ends before
   */
  public String awaitReceived(String text, Duration timeout) throws IOException {
    long end = System.nanoTime() + timeout.toNanos();
    InputStream in = socket.getInputStream();
    byte[] buf = new byte[4096];
    while (!received().contains(text)) {
      long left = (end - System.nanoTime()) / 1_000_000;
      if (left <= 0) throw new SocketTimeoutException("no '" + text + "' after " + timeout + "; received: " + received());
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
      int n;
      try {
        n = in.read(buf);
      } catch (SocketTimeoutException e) {
        throw new SocketTimeoutException("no '" + text + "' after " + timeout + "; received: " + received());
      }
      if (n < 0) throw new java.io.EOFException("closed before '" + text + "'; received: " + received());
      received.write(buf, 0, n);
    }
    return received();
  }

  /** Whether the server has closed the connection: reads without waiting more than {@code wait}. */
  public boolean isClosed(Duration wait) throws IOException {
    try {
      awaitClosed(wait);
      return true;
    } catch (SocketTimeoutException stillOpen) {
      return false;
    }
  }

  /** What the server sent so far. */
  public String received() {
    return received.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
