package dev.chorus.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WebhookSettingsTest {
  static Config chorus(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference()).resolve().getConfig("chorus");
  }

  @Test
  void offByDefaultAndNamespacesThenSendNothing() {
    Config c = chorus("");
    assertFalse(WebhookSettings.fromConfig(c.getConfig("webhooks")).enabled());
    assertEquals(WebhookEvents.NONE, WebhookEvents.fromConfig(c.getConfig("namespace-defaults.webhooks"), false));
  }

  @Test
  void withAUrlTheDefaultsSendTheFourMemberEvents() {
    Config c = chorus("chorus.webhooks.url = \"https://backend.example/hooks\"");
    WebhookSettings s = WebhookSettings.fromConfig(c.getConfig("webhooks"));
    assertTrue(s.enabled());
    assertEquals(100, s.batchSize());
    WebhookEvents events = WebhookEvents.fromConfig(c.getConfig("namespace-defaults.webhooks"), true);
    assertEquals(Set.of("topic_occupied", "topic_vacated", "user_joined", "user_left"), events.events());
    assertTrue(events.users());
    assertFalse(events.clientEvent("typing"));
  }

  @Test
  void badValuesAreRefusedWithTheKey() {
    assertThrows(IllegalArgumentException.class,
        () -> WebhookSettings.fromConfig(chorus("chorus.webhooks.url = \"ftp://x\"").getConfig("webhooks")));
    assertThrows(IllegalArgumentException.class,
        () -> WebhookSettings.fromConfig(chorus("chorus.webhooks.queue-size = 0").getConfig("webhooks")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WebhookEvents.fromConfig(
        chorus("chorus.namespace-defaults.webhooks.events = [user_joind]").getConfig("namespace-defaults.webhooks"), false));
    assertTrue(e.getMessage().contains("user_joind"), e.getMessage());
  }
}
