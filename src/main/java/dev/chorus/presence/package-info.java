/**
 * Presence, as phoenix.js's {@code Presence} expects it: each node's
 * {@link dev.chorus.presence.PresenceReplica} keeps the cluster's entries in Distributed Data (an
 * observed-remove map per bucket of topics) and tells each topic's watchers what changed, once
 * per interval; {@link dev.chorus.presence.RoomPresence} is a local room's view, rendering
 * {@code presence_state}, {@code presence_diff} and {@code presence_count} frames.
 */
package dev.chorus.presence;
