package dev.chorus.transport;

/**
 * A LongPoll message that travels between nodes (a request forwarded to the node holding its
 * session, and its answer): serialized with Pekko's Jackson CBOR serializer, bound in
 * pekko-overrides.conf. Each is bounded to fit one Artery frame (LongPollSettings).
 */
public interface LongPollMessage {}
