package dev.chorus.transport;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * The frames of a LongPoll POST body. phoenix.js sends {@code application/x-ndjson}: one frame
 * per line (lines joined by "\n"; "\r\n" is taken too, empty lines are skipped), at most 100
 * per request; a line that does not start with {@code [} is a binary frame (a Phoenix V2 binary
 * push), base64-encoded. Any other content type is one text frame, the whole body (as Phoenix
 * reads it). Each frame is bounded like a WebSocket message ({@code chorus.connection.max-frame-bytes},
 * a binary one by its decoded bytes); a text frame must be UTF-8;
 * the batch by {@code chorus.longpoll.max-post-frames} (its bytes are bounded before it is
 * read, by {@code max-post-bytes}). Pure.
 */
final class NdjsonBatch {
  static final String NDJSON = "application/x-ndjson";

  private NdjsonBatch() {}

  /** The frames, or why the body is refused (with its HTTP status and its metric label). */
  record Parsed(List<PostedFrame> frames, int httpStatus, String refusal, String label) {
    static Parsed refused(int httpStatus, String refusal, String label) {
      return new Parsed(null, httpStatus, refusal, label);
    }
  }

  static Parsed parse(byte[] body, String contentType, int maxFrames, int maxFrameBytes) {
    List<PostedFrame> frames = new ArrayList<>();
    if (contentType == null || !contentType.toLowerCase().startsWith(NDJSON)) {
      Parsed refused = check(body, 0, body.length, maxFrameBytes);
      if (refused != null) return refused;
      frames.add(new PostedFrame(body, false));
      return new Parsed(frames, 200, null, null);
    }
    for (int start = 0, nl = 0; nl >= 0 && start <= body.length; start = nl + 1) {
      nl = indexOf(body, (byte) '\n', start);
      int end = nl < 0 ? body.length : nl;
      int lineEnd = end > start && body[end - 1] == '\r' ? end - 1 : end;
      if (lineEnd > start) {
        if (frames.size() == maxFrames) {
          return Parsed.refused(413, "too many frames in one request: at most " + maxFrames
              + " (chorus.longpoll.max-post-frames)", "too_many_frames");
        }
        if (body[start] != '[') {
          if (lineEnd - start > (maxFrameBytes + 2) / 3 * 4) return tooLarge(maxFrameBytes); // not decoded at all
          byte[] binary = binaryLine(body, start, lineEnd);
          if (binary == null) return Parsed.refused(400, "bad binary frame: not base64", "bad_base64");
          if (binary.length > maxFrameBytes) return tooLarge(maxFrameBytes);
          frames.add(new PostedFrame(binary, true));
          continue;
        }
        Parsed refused = check(body, start, lineEnd, maxFrameBytes);
        if (refused != null) return refused;
        frames.add(new PostedFrame(Arrays.copyOfRange(body, start, lineEnd), false));
      }
    }
    return new Parsed(frames, 200, null, null);
  }

  /** A base64 line decoded: a binary frame (phoenix.js base64-encodes an ArrayBuffer push); null when it is not base64. */
  static byte[] binaryLine(byte[] body, int start, int end) {
    try {
      return Base64.getDecoder().decode(Arrays.copyOfRange(body, start, end));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static Parsed tooLarge(int maxFrameBytes) {
    return Parsed.refused(413, "frame too large: at most " + maxFrameBytes + " bytes (chorus.connection.max-frame-bytes)",
        "frame_too_large");
  }

  private static Parsed check(byte[] body, int start, int end, int maxFrameBytes) {
    if (end - start > maxFrameBytes) return tooLarge(maxFrameBytes);
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
