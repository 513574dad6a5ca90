package dev.chorus.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a {@link LocalRoom} needs of its topic's presence, and all it knows of it: the presence
 * package implements this (replicated with Distributed Data), so rooms do not depend on how
 * presence is kept. Used by one room actor only.
 */
public interface TopicPresence {

  /** Makes the presence of a topic whose namespace has presence on. */
  interface Factory {
    /** Changes of the topic's presence reach the room at {@code changes}, as they happen. */
    TopicPresence forTopic(String topic, int listLimit, ActorRef<Changed> changes);
  }

  /** A change of the topic's presence; the room hands it back to {@link #onChanged}. */
  interface Changed {}

  /** A member's presence entry, as the room holds it until the member goes. */
  interface Entry {}

  /**
   * A join's custom meta, read from its payload and checked before the join is admitted.
   *
   * @throws IllegalArgumentException with the reason to refuse the join
   */
  ObjectNode customMeta(JsonNode joinPayload);

  /** An admitted member is present, with its join's meta and its token's ({@code tokenMeta}, may be null). */
  Entry track(String userId, ObjectNode custom, ObjectNode tokenMeta);

  /** A member has gone. */
  void untrack(Entry entry);

  /** The frame a member gets right after its join reply (who is here, with itself). */
  ByteBuf frameForJoin(String joinRef, Entry self);

  /** Applies a change; returns the one frame every member gets, or null when there is nothing to tell. */
  ByteBuf onChanged(Changed change);

  /** The room stops: no more changes. */
  void close();
}
