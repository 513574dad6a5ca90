package dev.chorus.transport;

import com.typesafe.config.Config;
import io.netty.util.internal.PlatformDependent;
import java.time.Duration;

/** The {@code chorus.connection} section of reference.conf, where each key is documented. */
public record ConnectionSettings(
    int maxFrameBytes,
    Duration idleTimeout,
    Duration closeTimeout,
    double inboundRate,
    int inboundBurst,
    Duration floodDuration,
    Duration floodPause,
    int outboundMaxFrames,
    long outboundMaxBytes,
    Duration outboundStallTimeout,
    long outboundNodeBudget,
    Duration slowCloseTimeout,
    int writeBatchBytes,
    int maxJoins,
    int maxJoinsInProgress,
    int maxEarlyPushes,
    long maxEarlyPushBytes,
    int maxPerUser,
    double connectRatePerIp,
    int connectBurstPerIp,
    int trackedIps) {

  public static ConnectionSettings fromConfig(Config c) {
    return new ConnectionSettings(
        (int) c.getBytes("max-frame-bytes").longValue(),
        c.getDuration("idle-timeout"),
        c.getDuration("close-timeout"),
        c.getDouble("inbound-rate"),
        c.getInt("inbound-burst"),
        c.getDuration("flood-duration"),
        positive(c.getDuration("flood-pause"), "flood-pause"),
        c.getInt("outbound-max-frames"),
        c.getBytes("outbound-max-bytes"),
        positive(c.getDuration("outbound-stall-timeout"), "outbound-stall-timeout"),
        OutboundBudget.parse(c, "outbound-node-budget", PlatformDependent.maxDirectMemory()),
        c.getDuration("slow-close-timeout"),
        (int) c.getBytes("write-batch-bytes").longValue(),
        c.getInt("max-joins"),
        atLeastZero(c.getInt("max-joins-in-progress"), "max-joins-in-progress"),
        c.getInt("max-early-pushes"),
        c.getBytes("max-early-push-bytes"),
        c.getInt("max-per-user"),
        c.getDouble("connect-rate-per-ip"),
        c.getInt("connect-burst-per-ip"),
        c.getInt("tracked-ips"));
  }

  private static int atLeastZero(int n, String key) {
    if (n < 0) throw new IllegalArgumentException("chorus.connection." + key + " must be >= 0");
    return n;
  }

  private static Duration positive(Duration d, String key) {
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("chorus.connection." + key + " must be above 0");
    return d;
  }
}
