package dev.chorus.transport;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * The frames of a LongPoll POST body. phoenix.js sends {@code application/x-ndjson}: one frame
 * per line (lines joined by "\n"; "\r\n" is taken too, empty lines are skipped), at most 100
 * per request; a line that does not start with {@code [} is a binary frame, base64-encoded. Any
 * other content type is one text frame, the whole body (as Phoenix reads it). Each frame is
 * bounded like a WebSocket frame ({@code chorus.connection.max-frame-bytes}) and must be UTF-8;
 * the batch by {@code chorus.longpoll.max-post-frames} (its bytes are bounded before it is
 * read, by {@code max-post-bytes}). Pure.
 */
final class NdjsonBatch {
  static final String NDJSON = "application/x-ndjson";

  private NdjsonBatch() {}

  /** The frames, or why the body is refused (with its HTTP status and its metric label). */
  record Parsed(List<byte[]> frames, int httpStatus, String refusal, String label) {
    static Parsed refused(int httpStatus, String refusal, String label) {
      return new Parsed(null, httpStatus, refusal, label);
    }
  }

  static Parsed parse(byte[] body, String contentType, int maxFrames, int maxFrameBytes) {
    List<byte[]> frames = new ArrayList<>();
    if (contentType == null || !contentType.toLowerCase().startsWith(NDJSON)) {
      Parsed refused = check(body, 0, body.length, maxFrameBytes);
      if (refused != null) return refused;
      frames.add(body);
      return new Parsed(frames, 200, null, null);
    }
    int start = 0;
    while (start <= body.length) {
      int nl = indexOf(body, (byte) '\n', start);
      int end = nl < 0 ? body.length : nl;
      int lineEnd = end > start && body[end - 1] == '\r' ? end - 1 : end;
      if (lineEnd > start) {
        if (frames.size() == maxFrames) {
          return Parsed.refused(413, "too many frames in one request: at most " + maxFrames
              + " (chorus.longpoll.max-post-frames)", "too_many_frames");
        }
        if (body[start] != '[') return binaryLine(body, start, lineEnd);
        Parsed refused = check(body, start, lineEnd, maxFrameBytes);
        if (refused != null) return refused;
        frames.add(Arrays.copyOfRange(body, start, lineEnd));
      }
      if (nl < 0) break;
      start = nl + 1;
    }
    return new Parsed(frames, 200, null, null);
  }

  /**
   * A base64 line: a binary frame (phoenix.js base64-encodes an ArrayBuffer push). Chorus has no
   * binary frames yet (the WebSocket path closes with 1003 for one), so the request is refused;
   * this is where the binary frame decoder plugs in once it exists.
   */
  static Parsed binaryLine(byte[] body, int start, int end) {
    return Parsed.refused(415, "binary frames are not supported", "binary_unsupported");
  }

  private static Parsed check(byte[] body, int start, int end, int maxFrameBytes) {
    if (end - start > maxFrameBytes) {
      return Parsed.refused(413, "frame too large: at most " + maxFrameBytes + " bytes (chorus.connection.max-frame-bytes)",
          "frame_too_large");
    }
    if (!Utf8.isValid(ByteString.fromArrayUnsafe(body, start, end - start))) {
      return Parsed.refused(400, "invalid utf-8", "invalid_utf8");
    }
    return null;
  }

  private static int indexOf(byte[] body, byte b, int from) {
    for (int i = from; i < body.length; i++) if (body[i] == b) return i;
    return -1;
  }
}
