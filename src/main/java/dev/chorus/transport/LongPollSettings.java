package dev.chorus.transport;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code chorus.longpoll} section of reference.conf, where each key is documented. */
public record LongPollSettings(
    Duration window,
    Duration idleTimeout,
    int maxSessions,
    int maxPostBytes,
    int maxPostFrames,
    int maxAnswerBytes,
    Duration forwardTimeout,
    int maxForwardsInFlight) {

  /** Artery's ordinary frame (256 KiB) less room for the envelope: what a forwarded request or answer may carry. */
  static final int MAX_FORWARDED_BYTES = 192 * 1024;

  public static LongPollSettings fromConfig(Config c) {
    LongPollSettings s = new LongPollSettings(
        c.getDuration("window"),
        c.getDuration("idle-timeout"),
        c.getInt("max-sessions"),
        (int) c.getBytes("max-post-bytes").longValue(),
        c.getInt("max-post-frames"),
        (int) c.getBytes("max-answer-bytes").longValue(),
        c.getDuration("forward-timeout"),
        c.getInt("max-forwards-in-flight"));
    if (s.window.isNegative() || s.window.isZero()) throw bad("window must be above 0");
    if (s.idleTimeout.compareTo(s.window) <= 0) throw bad("idle-timeout must exceed window");
    if (s.forwardTimeout.compareTo(s.window) <= 0) throw bad("forward-timeout must exceed window");
    if (s.maxSessions < 0) throw bad("max-sessions must be 0 (LongPoll off) or more");
    if (s.maxPostFrames < 1) throw bad("max-post-frames must be at least 1");
    if (s.maxForwardsInFlight < 1) throw bad("max-forwards-in-flight must be at least 1");
    if (s.maxPostBytes > MAX_FORWARDED_BYTES || s.maxAnswerBytes > MAX_FORWARDED_BYTES) {
      throw bad("max-post-bytes and max-answer-bytes must be at most 192 KiB (they cross nodes in one Artery frame)");
    }
    return s;
  }

  private static IllegalArgumentException bad(String why) {
    return new IllegalArgumentException("chorus.longpoll." + why);
  }
}
