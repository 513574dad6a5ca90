/**
 * One {@link dev.chorus.session.Session} actor per connection, like a Phoenix socket process:
 * it answers heartbeats, checks joins (topic, namespace, token patterns, the join limit) and
 * sends them to the node's local rooms, routes pushes to the join's channel and leaves to the
 * room, and ends every channel when the connection ends. Its bookkeeping is the pure
 * {@link dev.chorus.session.JoinTable}; {@link dev.chorus.session.SessionStarter} plugs it into
 * the transport.
 */
package dev.chorus.session;
