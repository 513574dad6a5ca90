package dev.chorus.room;

/**
 * Marks a rare query of the API for backends about a node's rooms, and its answer, that may
 * travel between nodes (GET /api/topics): written by Pekko's Jackson CBOR serializer (bound in
 * pekko-overrides.conf), as the operations messages are, not by the compact {@link RoomSerializer}
 * of the hot path.
 */
public interface RoomQuery {}
