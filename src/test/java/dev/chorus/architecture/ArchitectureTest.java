package dev.chorus.architecture;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The packages import one way, bottom to top (docs/architecture.md draws it):
 *
 * <pre>
 *   metrics, protocol, auth, placement   leaves: pure code and the node's counters
 *   hooks                                HTTP calls to the application's backend (uses metrics)
 *   transport                            Netty: frames, outbound queues, connection admission
 *   room                                 the sharded sequencer, local rooms, channels
 *   presence                             who is here, replicated with Distributed Data; rooms
 *                                        see it only through their interface, room.TopicPresence
 *   session                              one actor per connection: joins, leaves, pushes
 *   ops, api                             the management port: admin, drain, health, API
 *   dashboard                            the operators' web app: sign-in, the APIs again for a session
 *   dev.chorus                           the node: wiring, settings, main
 * </pre>
 *
 * A lower layer never names a higher one; where it must reach up (the transport starting a
 * session, a room telling a session how its join went) it does so through an interface or a
 * message type of its own. The load generator (bench) stands apart: it shares no code with the
 * server.
 */
@AnalyzeClasses(packages = "dev.chorus", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  @ArchTest
  static final ArchRule layers = layeredArchitecture().consideringOnlyDependenciesInLayers()
      .layer("node").definedBy("dev.chorus")
      .layer("dashboard").definedBy("dev.chorus.dashboard..")
      .layer("ops").definedBy("dev.chorus.ops..", "dev.chorus.api..")
      .layer("session").definedBy("dev.chorus.session..")
      .layer("presence").definedBy("dev.chorus.presence..")
      .layer("room").definedBy("dev.chorus.room..")
      .layer("transport").definedBy("dev.chorus.transport..")
      .layer("leaves").definedBy("dev.chorus.metrics..", "dev.chorus.protocol..", "dev.chorus.auth..", "dev.chorus.placement..")
      .layer("hooks").definedBy("dev.chorus.hooks..", "dev.chorus.webhooks..")
      .layer("bench").definedBy("dev.chorus.bench..")
      .whereLayer("node").mayNotBeAccessedByAnyLayer()
      .whereLayer("dashboard").mayOnlyBeAccessedByLayers("node")
      .whereLayer("ops").mayOnlyBeAccessedByLayers("dashboard", "node")
      .whereLayer("session").mayOnlyBeAccessedByLayers("ops", "dashboard", "node")
      .whereLayer("presence").mayOnlyBeAccessedByLayers("session", "ops", "dashboard", "node")
      .whereLayer("room").mayOnlyBeAccessedByLayers("presence", "session", "ops", "dashboard", "node")
      .whereLayer("transport").mayOnlyBeAccessedByLayers("room", "presence", "session", "ops", "dashboard", "node")
      .whereLayer("leaves").mayOnlyBeAccessedByLayers("hooks", "transport", "presence", "room", "session", "ops", "dashboard", "node", "leaves")
      .whereLayer("hooks").mayOnlyBeAccessedByLayers("transport", "presence", "room", "session", "ops", "dashboard", "node")
      .whereLayer("bench").mayOnlyBeAccessedByLayers("node");

  @ArchTest
  static final ArchRule noCycles = slices().matching("dev.chorus.(*)..").should().beFreeOfCycles();
}
