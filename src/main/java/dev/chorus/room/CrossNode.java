package dev.chorus.room;

/**
 * Marks a room message that may travel between nodes; {@link RoomSerializer} writes it (bound
 * in pekko-overrides.conf). Messages without it stay on their node.
 */
public interface CrossNode {}
