package dev.chorus.api;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code chorus.api} section of reference.conf, where each key is documented. */
public record ApiSettings(String key, int maxTopicsPerPublish, Duration askTimeout, int maxBodyBytes, int maxTopicsPerPage) {
  public static ApiSettings fromConfig(Config chorus) {
    ApiSettings s = new ApiSettings(
        chorus.getString("api.key"), chorus.getInt("api.max-topics-per-publish"), chorus.getDuration("api.ask-timeout"),
        (int) Math.min(Integer.MAX_VALUE, chorus.getBytes("api.max-body-bytes")), chorus.getInt("api.max-topics-per-page"));
    if (s.maxTopicsPerPublish < 1) throw new IllegalArgumentException("chorus.api.max-topics-per-publish must be at least 1");
    if (s.maxTopicsPerPage < 1) throw new IllegalArgumentException("chorus.api.max-topics-per-page must be at least 1");
    if (s.maxBodyBytes < 1) throw new IllegalArgumentException("chorus.api.max-body-bytes must be at least 1 byte");
    return s;
  }
}
