/**
 * Rooms: a topic's sequencer and its members. The story of a publish:
 *
 * <ol>
 *   <li>a {@link dev.chorus.room.Channel} (one per join, a child of its local room, so supervised
 *       by it) checks a push against its namespace's rules and rate and sends it to the topic's
 *       {@link dev.chorus.room.RoomEntity};
 *   <li>the entity, a Cluster Sharding entity and the topic's single sequencer, numbers it,
 *       renders it once as a WebSocket frame, keeps it in history, and sends it once to each
 *       node's {@link dev.chorus.room.LocalRoom} that has members ({@link dev.chorus.room.RoomSerializer}
 *       carries it between nodes);
 *   <li>each local room queues the same buffer, by reference, to each member's outbound queue.
 * </ol>
 *
 * {@link dev.chorus.room.LocalRooms} creates a node's local rooms on first join and stops them
 * when the last member leaves. A join goes session → LocalRooms → LocalRoom → RoomEntity (admit,
 * recover from history) → LocalRoom (reply queued, channel spawned) → the session.
 */
package dev.chorus.room;
