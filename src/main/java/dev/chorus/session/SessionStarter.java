package dev.chorus.session;

import dev.chorus.protocol.Frame;
import dev.chorus.protocol.ProtocolException;
import dev.chorus.transport.ConnectParams;
import dev.chorus.transport.OutboundQueue;
import dev.chorus.transport.Sessions;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/** Starts a {@link Session} actor for each connection the transport admits. */
public final class SessionStarter implements Sessions {
  private final ActorSystem<?> system;
  private final Session.Settings settings;
  private final AtomicLong ids = new AtomicLong();

  public SessionStarter(ActorSystem<?> system, Session.Settings settings) {
    this.system = system;
    this.settings = settings;
  }

  @Override
  public Inbound open(OutboundQueue queue, ConnectParams params, String transport) {
    ActorRef<Session.Command> session = system.systemActorOf(
        Session.create(settings, queue, params, transport), "session-" + ids.incrementAndGet(), Props.empty());
    return new Inbound() {
      @Override
      public void frame(Frame frame) {
        session.tell(new Session.ClientFrame(frame));
      }

      @Override
      public void badFrame(ProtocolException error) {
        session.tell(new Session.BadFrame(error));
      }

      @Override
      public void closed() {
        session.tell(new Session.ConnectionClosed());
      }
    };
  }
}
