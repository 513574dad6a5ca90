package dev.chorus.transport;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code chorus.http} section of reference.conf, where each key is documented. */
public record ServerSettings(
    String host,
    int port,
    int ioThreads,
    int socketSendBuffer,
    int socketNotsentLowat,
    int backlog,
    int writeLowWaterMark,
    int writeHighWaterMark,
    int maxRequestBytes,
    Duration handshakeTimeout,
    int maxConnections,
    int maxConnectionsPerIp,
    OriginPolicy allowedOrigins) {

  public static ServerSettings fromConfig(Config http) {
    ServerSettings s = new ServerSettings(
        http.getString("host"),
        http.getInt("port"),
        http.getInt("io-threads"),
        (int) http.getBytes("socket-send-buffer").longValue(),
        (int) http.getBytes("socket-notsent-lowat").longValue(),
        http.getInt("backlog"),
        (int) http.getBytes("write-low-water-mark").longValue(),
        (int) http.getBytes("write-high-water-mark").longValue(),
        (int) http.getBytes("max-request-bytes").longValue(),
        http.getDuration("handshake-timeout"),
        http.getInt("max-connections"),
        http.getInt("max-connections-per-ip"),
        OriginPolicy.of(http.getStringList("allowed-origins")));
    if (s.writeLowWaterMark > s.writeHighWaterMark) {
      throw new IllegalArgumentException("chorus.http.write-low-water-mark must not exceed write-high-water-mark");
    }
    if (s.handshakeTimeout.isNegative() || s.handshakeTimeout.isZero()) {
      throw new IllegalArgumentException("chorus.http.handshake-timeout must be positive");
    }
    if (s.maxConnections < 1) throw new IllegalArgumentException("chorus.http.max-connections must be at least 1");
    if (s.maxConnectionsPerIp < 0) throw new IllegalArgumentException("chorus.http.max-connections-per-ip must be 0 (no limit) or more");
    return s;
  }
}
