package dev.chorus.room;

import dev.chorus.protocol.Topic;
import dev.chorus.transport.ConnectParams;
import dev.chorus.transport.OutboundQueue;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;

/**
 * A connection's request to join a topic, carried from its session to the local room. The room
 * queues the reply itself, then tells {@code replyTo} the outcome, exactly once per request (the
 * session counts its joins in progress by it); the join's channel watches {@code session} and
 * ends with it. {@code hookReply} is the join hook's addition to the join reply's response (a
 * rendered JSON object, without Chorus's own keys), null without one.
 */
public record JoinRequest(
    Topic topic,
    Namespace namespace,
    String joinRef,
    String ref,
    ByteString params,
    ConnectParams connect,
    ActorRef<?> session,
    ActorRef<Outcome> replyTo,
    OutboundQueue queue,
    String hookReply) {

  /** A join without a join hook's reply. */
  public JoinRequest(
      Topic topic, Namespace namespace, String joinRef, String ref, ByteString params, ConnectParams connect,
      ActorRef<?> session, ActorRef<Outcome> replyTo, OutboundQueue queue) {
    this(topic, namespace, joinRef, ref, params, connect, session, replyTo, queue, null);
  }

  /** This join as the join hook allowed it: its payload (with the backend's meta) and reply. */
  public JoinRequest withHookAnswer(ByteString newParams, String reply) {
    return new JoinRequest(topic, namespace, joinRef, ref, newParams, connect, session, replyTo, queue, reply);
  }

  /** What became of a join; its reply to the client is already queued. */
  public sealed interface Outcome {}

  /** The room admitted the join; {@code channel} takes its pushes. */
  public record Accepted(String topic, String joinRef, ActorRef<Channel.Command> channel) implements Outcome {}

  /** The room refused the join. */
  public record Refused(String topic, String joinRef) implements Outcome {}
}
