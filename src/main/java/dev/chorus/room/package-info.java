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
 * recover from history, in pages) → LocalRoom (reply queued, replay at the client's pace,
 * channel spawned) → the session; it ends within chorus.room.join-timeout either way.
 *
 * <p>What the rooms of a node keep is bounded: {@link dev.chorus.room.NodeRooms} is what the
 * node's rooms share across threads (the count of entities, bounded by max-rooms; the history
 * budget, {@link dev.chorus.room.HistoryBudget}; the bytes of replays held), and the pure cores
 * {@link dev.chorus.room.RoomHistory} (history by count, age and bytes, the recovery decision)
 * and {@link dev.chorus.room.HistoryBudget} are tested without actors.
 *
 * <p>The entity is also where a topic's webhook events are decided ({@link
 * dev.chorus.room.TopicWebhooks}): one entity per topic in the cluster, so one node sends each.
 */
package dev.chorus.room;
