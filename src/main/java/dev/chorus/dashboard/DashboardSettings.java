package dev.chorus.dashboard;

import com.typesafe.config.Config;
import java.time.Duration;

/** chorus.dashboard in reference.conf. */
record DashboardSettings(Duration sessionTtl, boolean secureCookie, int failedSignInsPerMinute) {

  static DashboardSettings fromConfig(Config chorus) {
    Config c = chorus.getConfig("dashboard");
    DashboardSettings s = new DashboardSettings(
        c.getDuration("session-ttl"), c.getBoolean("secure-cookie"), c.getInt("failed-sign-ins-per-minute"));
    if (s.sessionTtl.compareTo(Duration.ofMinutes(1)) < 0) {
      throw new IllegalArgumentException("chorus.dashboard.session-ttl must be at least 1 minute");
    }
    if (s.failedSignInsPerMinute < 1) {
      throw new IllegalArgumentException("chorus.dashboard.failed-sign-ins-per-minute must be at least 1");
    }
    return s;
  }
}
