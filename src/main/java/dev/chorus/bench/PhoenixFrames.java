package dev.chorus.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * Builds the few Phoenix v2 frames the bench sends and reads broadcasts without a JSON parser.
 *
 * <p>Broadcasts are the hot path (one per delivery), so they are recognised by their fixed
 * prefix ({@code [null,null,} from the Node baseline, {@code [null,"<epoch>:<seq>",} from Chorus) and only the {@code "t"} (send time, µs) and {@code "m"} (1 in the
 * measured phase, 0 in warm-up) fields of the payload are scanned. The bench writes its payloads
 * itself as {@code {"t":<µs>,"m":<0|1>,"p":"xxx…"}}, so their layout is known.
 */
final class PhoenixFrames {
  private PhoenixFrames() {}

  private static final byte[] BROADCAST_PREFIX = ascii("[null,null,");
  private static final byte[] SEQUENCED_PREFIX = ascii("[null,\"");
  private static final byte[] STAMP_MIDDLE = ascii(",\"m\":");
  private static final byte[] PAD_START = ascii(",\"p\":\"");
  private static final byte[] FRAME_END = ascii("\"}]");

  /** The fixed part of a publish before the stamp: {@code {"t":} is 5 bytes, {@code ,"m":1,"p":"} 12, {@code "}} 2. */
  private static final int PAYLOAD_OVERHEAD = 5 + 12 + 2;
  /** Digits a stamp usually has (epoch µs has 16); the pad is sized for it so payloads are about the asked size. */
  private static final int STAMP_DIGITS = 16;

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  static String join(String joinRef, String topic) {
    return "[\"" + joinRef + "\",\"" + joinRef + "\",\"" + topic + "\",\"phx_join\",{}]";
  }

  static String heartbeat() {
    return "[null,\"hb\",\"phoenix\",\"heartbeat\",{}]";
  }

  /** True for a frame with neither join_ref nor ref: a broadcast (or another server push). */
  static boolean isBroadcast(ByteBuf frame) {
    int start = frame.readerIndex();
    if (startsWith(frame, start, BROADCAST_PREFIX)) return true; // the Node baseline's broadcasts
    // Chorus's: [null,"<epoch>:<seq>",... (a reply's or heartbeat's ref never holds a colon)
    if (!startsWith(frame, start, SEQUENCED_PREFIX)) return false;
    int quote = frame.indexOf(start + SEQUENCED_PREFIX.length, frame.writerIndex(), (byte) '"');
    return quote > 0 && frame.indexOf(start + SEQUENCED_PREFIX.length, quote, (byte) ':') > 0;
  }

  private static boolean startsWith(ByteBuf frame, int start, byte[] prefix) {
    if (frame.writerIndex() - start < prefix.length) return false;
    for (int i = 0; i < prefix.length; i++) {
      if (frame.getByte(start + i) != prefix[i]) return false;
    }
    return true;
  }

  /**
   * The send stamp of a bench broadcast: positive if sent in the measured phase, negative (the
   * stamp negated) if sent in warm-up, 0 if the frame carries no bench stamp.
   */
  static long stampOf(ByteBuf frame) {
    int to = frame.writerIndex();
    int brace = frame.indexOf(frame.readerIndex() + BROADCAST_PREFIX.length, to, (byte) '{');
    if (brace < 0 || brace + 5 >= to) return 0;
    if (frame.getByte(brace + 1) != '"' || frame.getByte(brace + 2) != 't'
        || frame.getByte(brace + 3) != '"' || frame.getByte(brace + 4) != ':') return 0;
    int i = brace + 5;
    long value = 0;
    int digits = 0;
    while (i < to) {
      byte c = frame.getByte(i);
      if (c < '0' || c > '9') break;
      value = value * 10 + (c - '0');
      i++;
      digits++;
    }
    if (digits == 0 || value == 0) return 0;
    if (i + STAMP_MIDDLE.length < to) {
      for (int k = 0; k < STAMP_MIDDLE.length; k++) {
        if (frame.getByte(i + k) != STAMP_MIDDLE[k]) return -value;
      }
      return frame.getByte(i + STAMP_MIDDLE.length) == '1' ? value : -value;
    }
    return -value;
  }

  /** Number of 'x' needed so that the payload object is about {@code payloadBytes} long. */
  static int padFor(int payloadBytes) {
    return Math.max(0, payloadBytes - PAYLOAD_OVERHEAD - STAMP_DIGITS);
  }

  /**
   * One publish, built straight into a pooled buffer: the prefix (join_ref, null ref, topic,
   * event) is precomputed per room, the pad is a shared array, only the stamp is formatted.
   */
  static ByteBuf publish(ByteBufAllocator alloc, byte[] prefix, long stampMicros, boolean measured, byte[] pad) {
    ByteBuf buf = alloc.buffer(prefix.length + 20 + 12 + pad.length + 3);
    buf.writeBytes(prefix);
    writeDecimal(buf, stampMicros);
    buf.writeBytes(STAMP_MIDDLE);
    buf.writeByte(measured ? '1' : '0');
    buf.writeBytes(PAD_START);
    buf.writeBytes(pad);
    buf.writeBytes(FRAME_END);
    return buf;
  }

  /** {@code ["<joinRef>",null,"<topic>","msg",{"t":} — everything before the stamp. */
  static byte[] publishPrefix(String joinRef, String topic, String event) {
    return ascii("[\"" + joinRef + "\",null,\"" + topic + "\",\"" + event + "\",{\"t\":");
  }

  static void writeDecimal(ByteBuf buf, long value) {
    if (value < 0) {
      buf.writeByte('-');
      value = -value;
    }
    if (value < 10) {
      buf.writeByte('0' + (int) value);
      return;
    }
    long div = 1;
    while (value / div >= 10) div *= 10;
    while (div > 0) {
      buf.writeByte('0' + (int) (value / div % 10));
      div /= 10;
    }
  }
}
