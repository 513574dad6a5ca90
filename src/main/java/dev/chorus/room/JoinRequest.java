package dev.chorus.room;

import dev.chorus.protocol.Topic;
import dev.chorus.session.ConnectParams;
import dev.chorus.session.OutboundQueue;
import dev.chorus.session.Session;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;

/** A connection's request to join a topic, carried from its session to the local room. */
public record JoinRequest(
    Topic topic,
    Namespace namespace,
    String joinRef,
    String ref,
    ByteString params,
    ConnectParams connect,
    ActorRef<Session.Command> session,
    OutboundQueue queue) {}
