/**
 * The Phoenix Channels v2 wire format, pure code: a {@link dev.chorus.protocol.Frame} is
 * {@code [join_ref, ref, topic, event, payload]}; {@link dev.chorus.protocol.FrameCodec} reads
 * one (keeping the payload as a slice of the client's bytes, never re-serialized) and renders
 * replies and broadcasts; {@link dev.chorus.protocol.BinaryCodec} does the same for the binary
 * messages of Phoenix's V2 serializer (a push whose payload is an ArrayBuffer);
 * {@link dev.chorus.protocol.Events} names the events the server owns.
 */
package dev.chorus.protocol;
