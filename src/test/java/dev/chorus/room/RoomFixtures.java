package dev.chorus.room;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;

/** Namespaces and room settings shared by the room actors' tests (ChannelTest, LocalRoomTest, RoomEntityTest). */
final class RoomFixtures {
  private RoomFixtures() {}

  /**
   * room: the defaults with presence off; quiet: no client publish; small: 16-byte pushes;
   * slow: a burst of 2 pushes with (almost) no refill and one rate-limited push tolerated;
   * tiny: 2 members; short: 2 messages of history.
   */
  static final Namespaces NAMESPACES = Namespaces.fromConfig(ConfigFactory.parseString("""
          namespaces {
            room { presence = off }
            quiet { client-publish = off }
            small { max-message-bytes = 16 }
            slow { publish-rate = 0.001, publish-burst = 2, flood-tolerance = 1 }
            tiny { max-members = 2 }
            short { history-size = 2 }
          }
          """).withFallback(ConfigFactory.defaultReference().getConfig("chorus")));

  /** No registration refresh during a test; a short locate timeout; the test crash hook on. */
  static final RoomSettings SETTINGS = new RoomSettings(Duration.ofHours(1), Duration.ofMillis(200), 100, "__crash__");
}
