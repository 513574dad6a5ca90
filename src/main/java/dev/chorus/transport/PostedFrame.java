package dev.chorus.transport;

/**
 * One frame of a LongPoll POST: a JSON text frame, or a binary one (a Phoenix V2 binary push,
 * sent by phoenix.js as a base64 line and decoded by {@link NdjsonBatch}).
 */
public record PostedFrame(byte[] bytes, boolean binary) implements LongPollMessage {}
