/**
 * A Chorus node: {@link dev.chorus.Main} reads the command line, {@link dev.chorus.Settings}
 * layers the configuration and {@link dev.chorus.ChorusSettings} checks it once, and
 * {@link dev.chorus.ChorusNode} wires the layers together: the actor system and cluster, room
 * sharding, presence, the WebSocket server, the management port. Packages import one way
 * (ArchitectureTest): metrics, protocol, auth, placement &lt; transport &lt; presence &lt; room &lt;
 * session &lt; ops, api &lt; this one.
 */
package dev.chorus;
