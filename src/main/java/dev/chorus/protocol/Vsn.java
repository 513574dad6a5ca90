package dev.chorus.protocol;

/**
 * The serializer a connection speaks, chosen as Phoenix chooses it, by the {@code vsn} connect
 * parameter: {@code 2.0.0} (phoenix.js since 1.3, and Chorus's default when {@code vsn} is
 * absent) is the array {@code [join_ref, ref, topic, event, payload]} ({@link FrameCodec});
 * {@code 1.0.0} (older mobile clients) is the object {@code {"topic", "event", "payload",
 * "ref"}} without join_ref ({@link V1JsonCodec}). Inside Chorus every frame is rendered in V2;
 * a V1 connection's frames are rendered again in V1 on their way to it.
 */
public enum Vsn {
  V1,
  V2;

  /**
   * The serializer for a {@code vsn} parameter (null: absent), or null when Chorus speaks no
   * such version. V2: any {@code 2.}x (as Chorus always took it); V1: {@code 1.0.}x, Phoenix's
   * {@code ~> 1.0.0}.
   */
  public static Vsn of(String vsn) {
    if (vsn == null || vsn.startsWith("2.")) return V2;
    if (vsn.matches("1\\.0\\.[0-9]+")) return V1;
    return null;
  }
}
