package dev.chorus.room;

import com.typesafe.config.ConfigFactory;

/** Namespaces and room settings shared by the room actors' tests (ChannelTest, LocalRoomTest, RoomEntityTest). */
final class RoomFixtures {
  private RoomFixtures() {}

  /**
   * room: the defaults with presence off; quiet: no client publish; small: pushes of 44 bytes as a whole frame
   * ({@code ["1","2","small:x","shout",<16 bytes>]});
   * slow: a burst of 2 pushes with (almost) no refill, and closed once over it for 300 ms;
   * tiny: 2 members; short: 2 messages of history.
   */
  static final Namespaces NAMESPACES = Namespaces.fromConfig(ConfigFactory.parseString("""
          namespaces {
            room { presence = off }
            quiet { client-publish = off }
            small { max-message-bytes = 44 }
            slow { publish-rate = 0.001, publish-burst = 2, flood-duration = 300 ms, flood-pause = 1 h }
            tiny { max-members = 2 }
            short { history-size = 2 }
          }
          """).withFallback(ConfigFactory.defaultReference().getConfig("chorus")));

  /**
   * No registration refresh during a test; a short locate timeout; the test crash hook on; the
   * other room settings as reference.conf has them.
   */
  static final RoomSettings SETTINGS = settings("");

  /** {@link #SETTINGS} with {@code overrides} (HOCON under chorus) on top. */
  static RoomSettings settings(String overrides) {
    return RoomSettings.fromConfig(ConfigFactory.parseString(overrides)
        .withFallback(ConfigFactory.parseString("""
            room { registration-refresh = 1 h, locate-timeout = 200 ms, locate-stash = 100 }
            testing.crash-event = "__crash__"
            """))
        .withFallback(ConfigFactory.defaultReference().getConfig("chorus")));
  }

  /** What the entities of one node share, for tests of one room: a fresh count and budgets. */
  static NodeRooms node(RoomSettings settings, dev.chorus.metrics.Metrics metrics) {
    return new NodeRooms(settings, metrics);
  }
}
