package dev.chorus.transport;

import com.typesafe.config.Config;

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
    int maxRequestBytes) {

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
        (int) http.getBytes("max-request-bytes").longValue());
    if (s.writeLowWaterMark > s.writeHighWaterMark) {
      throw new IllegalArgumentException("chorus.http.write-low-water-mark must not exceed write-high-water-mark");
    }
    return s;
  }
}
