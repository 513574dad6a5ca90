package dev.chorus.transport;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The answer to a LongPoll request, as phoenix.js's LongPoll reads it: an HTTP status (200 for
 * everything the protocol says, another for a refusal) and a JSON body whose {@code status}
 * drives the client: {@code {"status":200,"token":"…","messages":["…",…]}} for a poll,
 * {@code {"status":200}} for a POST, and an {@code error} text with a refusal. The messages are
 * the text payloads of the rendered WebSocket frames the session's queue held (each a V2 JSON
 * frame, sent as a JSON string). Pure; also what a node forwarding a request gets back.
 *
 * @param token the session token, or null (then the body has none)
 * @param messages the frames' text payloads (UTF-8), or null for an answer without messages
 * @param error why a request was refused, or null
 */
public record PollAnswer(int httpStatus, int status, String token, List<byte[]> messages, String error)
    implements LongPollMessage {

  // The statuses phoenix.js's LongPoll acts on (longpoll.js): anything else makes it throw.
  static final int OK = 200, NO_CONTENT = 204, GONE = 410, FORBIDDEN = 403, RETRY = 500;

  /** A poll's frames. */
  static PollAnswer messages(String token, List<byte[]> messages) {
    return new PollAnswer(200, OK, token, messages, null);
  }

  /** A poll that found nothing within the window: poll again. */
  static PollAnswer noContent(String token) {
    return new PollAnswer(200, NO_CONTENT, token, List.of(), null);
  }

  /** A new session: phoenix.js opens, keeps the token and polls with it. */
  static PollAnswer created(String token) {
    return new PollAnswer(200, GONE, token, List.of(), null);
  }

  /** No such session (ended, unknown, forged, on a node that is gone): phoenix.js reconnects and rejoins. */
  static PollAnswer gone() {
    return new PollAnswer(200, GONE, null, null, null);
  }

  /** A POST's frames were handed to the session. */
  static PollAnswer posted() {
    return new PollAnswer(200, OK, null, null, null);
  }

  /** Refused for good (origin, token): phoenix.js closes with 1008 and does not retry. */
  static PollAnswer forbidden(String why) {
    return new PollAnswer(403, FORBIDDEN, null, null, why);
  }

  /**
   * Refused for now, with the real HTTP status (429, 503, 413, ...); the JSON status 500 makes
   * phoenix.js close and reconnect after its back-off (the only retry it has).
   */
  static PollAnswer refused(int httpStatus, String why) {
    return new PollAnswer(httpStatus, RETRY, null, null, why);
  }

  /** The JSON body. */
  public byte[] json() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + size(messages));
    write(out, "{\"status\":" + status);
    if (token != null) {
      write(out, ",\"token\":");
      string(out, token.getBytes(StandardCharsets.UTF_8));
    }
    if (messages != null) {
      write(out, ",\"messages\":[");
      for (int i = 0; i < messages.size(); i++) {
        if (i > 0) out.write(',');
        string(out, messages.get(i));
      }
      out.write(']');
    }
    if (error != null) {
      write(out, ",\"error\":");
      string(out, error.getBytes(StandardCharsets.UTF_8));
    }
    out.write('}');
    return out.toByteArray();
  }

  private static int size(List<byte[]> messages) {
    int n = 0;
    if (messages != null) for (byte[] m : messages) n += m.length + 8;
    return n;
  }

  private static void write(ByteArrayOutputStream out, String ascii) {
    out.writeBytes(ascii.getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * {@code utf8} as a JSON string: quote, backslash and control characters escaped, every other
   * byte as it is (the frames are valid UTF-8, and JSON takes UTF-8 unescaped).
   */
  static void string(ByteArrayOutputStream out, byte[] utf8) {
    out.write('"');
    for (byte b : utf8) {
      int c = b & 0xFF;
      if (c == '"' || c == '\\') {
        out.write('\\');
        out.write(c);
      } else if (c < 0x20) {
        switch (c) {
          case '\n' -> write(out, "\\n");
          case '\r' -> write(out, "\\r");
          case '\t' -> write(out, "\\t");
          default -> write(out, String.format("\\u%04x", c));
        }
      } else {
        out.write(c);
      }
    }
    out.write('"');
  }

  /**
   * The text payloads of the rendered WebSocket frames in {@code batch} (one frame or several
   * back to back, as a connection's {@link OutboundQueue} gives them: server frames, unmasked),
   * in order; frames LongPoll cannot carry are left out ({@link #carried}). Does not release
   * {@code batch}.
   */
  static List<byte[]> textPayloads(ByteBuf batch) {
    List<byte[]> texts = new ArrayList<>();
    int i = batch.readerIndex(), end = batch.writerIndex();
    while (i + 2 <= end) {
      int opcode = batch.getByte(i) & 0x0F;
      int len7 = batch.getByte(i + 1) & 0x7F;
      long length;
      int header;
      if (len7 == 126) {
        length = batch.getUnsignedShort(i + 2);
        header = 4;
      } else if (len7 == 127) {
        length = batch.getLong(i + 2);
        header = 10;
      } else {
        length = len7;
        header = 2;
      }
      if (i + header + length > end) throw new IllegalArgumentException("a truncated frame in the batch");
      if (carried(opcode)) {
        byte[] text = new byte[(int) length];
        batch.getBytes(i + header, text);
        texts.add(text);
      }
      i += header + (int) length;
    }
    return texts;
  }

  /**
   * Whether a poll answer carries a frame of this opcode: only text. phoenix.js's LongPoll
   * parses every message as a JSON string, so a binary frame (opcode 2) cannot reach it: it is
   * left out of the answer (the client never sees it; the WebSocket path delivers it). Pongs
   * and close frames are the WebSocket's own and are not queued for a LongPoll session.
   */
  static boolean carried(int opcode) {
    return opcode == WebSocketFrames.OP_TEXT;
  }
}
