package dev.chorus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.chorus.room.Namespace;
import dev.chorus.room.Namespaces;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
  @TempDir Path dir;

  private static Config load(List<String> flags, Map<String, String> env) {
    return Settings.load(flags, env);
  }

  private Path configFile(String hocon) throws Exception {
    Path f = dir.resolve("chorus-test.conf");
    Files.writeString(f, hocon);
    return f;
  }

  // ---------------------------------------------------------------- defaults and layers

  @Test
  void defaults() {
    Config c = load(List.of(), Map.of());
    assertEquals(4000, c.getInt("chorus.http.port"));
    assertEquals("127.0.0.1", c.getString("chorus.http.host"));
    assertEquals("cluster", c.getString("pekko.actor.provider"));
    assertEquals(1000, c.getInt("pekko.cluster.sharding.number-of-shards"));
    assertEquals(List.of(), c.getStringList("pekko.cluster.seed-nodes"));
    assertEquals(25520, c.getInt("pekko.remote.artery.canonical.port"));
    assertEquals(Duration.ofSeconds(60), c.getDuration("chorus.connection.idle-timeout"));
    assertEquals(64 * 1024, c.getBytes("chorus.connection.max-frame-bytes"));
    // Pekko's own reference.conf is still underneath
    assertTrue(c.hasPath("pekko.actor.default-dispatcher"));
  }

  @Test
  void envOverridesDefault() {
    Config c = load(List.of(), Map.of("CHORUS_PORT", "4100", "CHORUS_HOST", "0.0.0.0"));
    assertEquals(4100, c.getInt("chorus.http.port"));
    assertEquals("0.0.0.0", c.getString("chorus.http.host"));
  }

  @Test
  void blankEnvIsIgnored() {
    Config c = load(List.of(), Map.of("CHORUS_PORT", "  "));
    assertEquals(4000, c.getInt("chorus.http.port"));
  }

  @Test
  void flagOverridesEnv() {
    Config c = load(List.of("--port", "4200"), Map.of("CHORUS_PORT", "4100"));
    assertEquals(4200, c.getInt("chorus.http.port"));
  }

  @Test
  void flagWithEqualsForm() {
    Config c = load(List.of("--port=5000"), Map.of("CHORUS_PORT", "4100"));
    assertEquals(5000, c.getInt("chorus.http.port"));
  }

  @Test
  void severalFlags() {
    Config c = load(List.of("--host", "10.0.0.1", "--cluster-port=2552", "--cluster-host", "node-a"), Map.of());
    assertEquals("10.0.0.1", c.getString("chorus.http.host"));
    assertEquals(2552, c.getInt("pekko.remote.artery.canonical.port"));
    assertEquals("node-a", c.getString("pekko.remote.artery.canonical.hostname"));
  }

  @Test
  void seedNodesFlagBecomesAList() {
    Config c = load(List.of("--seed-nodes", "a,b"), Map.of());
    assertEquals(List.of("a", "b"), c.getStringList("pekko.cluster.seed-nodes"));
  }

  @Test
  void seedNodesAreTrimmedAndEmptiesDropped() {
    Config c = load(List.of(),
        Map.of("CHORUS_SEED_NODES", " pekko://chorus@10.0.0.1:25520 , ,pekko://chorus@10.0.0.2:25520,"));
    assertEquals(List.of("pekko://chorus@10.0.0.1:25520", "pekko://chorus@10.0.0.2:25520"),
        c.getStringList("pekko.cluster.seed-nodes"));
  }

  @Test
  void seedNodesFlagOverridesEnv() {
    Config c = load(List.of("--seed-nodes=x"), Map.of("CHORUS_SEED_NODES", "a,b"));
    assertEquals(List.of("x"), c.getStringList("pekko.cluster.seed-nodes"));
  }

  @Test
  void unknownFlag() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> load(List.of("--nope", "1"), Map.of()));
    assertTrue(e.getMessage().contains("--nope"), e.getMessage());
  }

  @Test
  void unknownFlagWithEqualsForm() {
    assertThrows(IllegalArgumentException.class, () -> load(List.of("--nope=1"), Map.of()));
  }

  @Test
  void flagWithoutValue() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> load(List.of("--port"), Map.of()));
    assertTrue(e.getMessage().contains("--port"), e.getMessage());
  }

  // ---------------------------------------------------------------- --config

  @Test
  void configFileOverridesDefaults() throws Exception {
    Path f = configFile("chorus.connection.idle-timeout = 90s\nchorus.http.port = 4300\n");
    Config c = load(List.of("--config", f.toString()), Map.of());
    assertEquals(Duration.ofSeconds(90), c.getDuration("chorus.connection.idle-timeout"));
    assertEquals(4300, c.getInt("chorus.http.port"));
    // untouched keys keep their defaults
    assertEquals(Duration.ofSeconds(3), c.getDuration("chorus.connection.close-timeout"));
  }

  @Test
  void configFileCanOverridePekkoOverrides() throws Exception {
    Path f = configFile("pekko.cluster.sharding.number-of-shards = 50\n");
    Config c = load(List.of("--config=" + f), Map.of());
    assertEquals(50, c.getInt("pekko.cluster.sharding.number-of-shards"));
    assertEquals("cluster", c.getString("pekko.actor.provider"));
  }

  @Test
  void envAndFlagsWinOverConfigFile() throws Exception {
    Path f = configFile("chorus.http.port = 4300\nchorus.http.host = \"1.2.3.4\"\n");
    Config c = load(List.of("--config", f.toString(), "--port", "4400"), Map.of("CHORUS_HOST", "5.6.7.8"));
    assertEquals(4400, c.getInt("chorus.http.port"));
    assertEquals("5.6.7.8", c.getString("chorus.http.host"));
  }

  @Test
  void missingConfigFile() {
    Path missing = dir.resolve("does-not-exist.conf");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> load(List.of("--config", missing.toString()), Map.of()));
    assertTrue(e.getMessage().contains("does-not-exist.conf"), e.getMessage());
  }

  @Test
  void configPointingAtADirectory() {
    assertThrows(IllegalArgumentException.class, () -> load(List.of("--config", dir.toString()), Map.of()));
  }

  // ---------------------------------------------------------------- namespaces

  @Test
  void defaultNamespaceRoomExists() {
    Namespaces ns = Namespaces.fromConfig(load(List.of(), Map.of()).getConfig("chorus"));
    Namespace room = ns.get("room");
    assertNotNull(room);
    assertEquals("room", room.name());
    assertTrue(room.clientPublish());
    assertEquals(16 * 1024, room.maxMessageBytes());
    assertEquals(10_000, room.maxMembers());
    assertEquals(200.0, room.publishRate());
    assertEquals(2000, room.publishBurst());
    assertEquals(Duration.ofSeconds(10), room.floodDuration());
    assertEquals(Duration.ofSeconds(1), room.floodPause());
    assertEquals(100, room.historySize());
    assertEquals(Duration.ofMinutes(5), room.historyTtl());
    assertNull(ns.get("chat"));
    assertNull(ns.get("nope"));
  }

  @Test
  void namespaceOverrideInheritsDefaults() throws Exception {
    Path f = configFile("""
        chorus.namespaces.chat {
          client-publish = off
          max-members = 5
        }
        """);
    Namespaces ns = Namespaces.fromConfig(load(List.of("--config", f.toString()), Map.of()).getConfig("chorus"));
    Namespace chat = ns.get("chat");
    assertNotNull(chat);
    assertEquals("chat", chat.name());
    assertFalse(chat.clientPublish());
    assertEquals(5, chat.maxMembers());
    // everything else comes from chorus.namespace-defaults
    assertEquals(16 * 1024, chat.maxMessageBytes());
    assertEquals(200.0, chat.publishRate());
    assertEquals(2000, chat.publishBurst());
    assertEquals(Duration.ofSeconds(10), chat.floodDuration());
    assertEquals(100, chat.historySize());
    assertEquals(Duration.ofMinutes(5), chat.historyTtl());
    // the built-in namespace is still there
    assertNotNull(ns.get("room"));
    assertTrue(ns.get("room").clientPublish());
  }

  @Test
  void changedDefaultsApplyToEveryNamespace() throws Exception {
    Path f = configFile("""
        chorus.namespace-defaults.history-size = 7
        chorus.namespaces.chat { history-size = 9 }
        """);
    Namespaces ns = Namespaces.fromConfig(load(List.of("--config", f.toString()), Map.of()).getConfig("chorus"));
    assertEquals(7, ns.get("room").historySize());
    assertEquals(9, ns.get("chat").historySize());
  }

  @Test
  void namespaceThatIsNotAnObjectIsRefused() throws Exception {
    Path f = configFile("chorus.namespaces.chat = 3\n");
    // refused when the settings are loaded, before anything starts
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> load(List.of("--config", f.toString()), Map.of()));
    assertTrue(e.getMessage().contains("chorus.namespaces.chat must be an object"), e.getMessage());
  }

  @Test
  void joinsInProgressBoundIsReadAndMayNotBeNegative() throws Exception {
    Config c = load(List.of(), Map.of());
    assertEquals(2000, ChorusSettings.fromConfig(c.getConfig("chorus")).connection().maxJoinsInProgress());
    Path f = configFile("chorus.connection.max-joins-in-progress = -1\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> load(List.of("--config", f.toString()), Map.of()));
    assertTrue(e.getMessage().contains("chorus.connection.max-joins-in-progress must be >= 0"), e.getMessage());
  }

  @Test
  void namespaceNameWithColonIsRefused() throws Exception {
    Path f = configFile("chorus.namespaces { \"a:b\" {} }\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> load(List.of("--config", f.toString()), Map.of()));
    assertTrue(e.getMessage().contains("namespace name 'a:b'"), e.getMessage());
  }
}
