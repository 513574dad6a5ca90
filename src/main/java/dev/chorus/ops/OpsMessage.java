package dev.chorus.ops;

/**
 * An operations message that may travel between nodes (rare, small): serialized with Pekko's
 * Jackson CBOR serializer, bound in pekko-overrides.conf.
 */
public interface OpsMessage {}
