package dev.chorus.session;

import dev.chorus.ops.Metrics;
import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * One WebSocket connection, as a single stream stage between the TCP connection and its
 * {@link Session} actor: it parses WebSocket frames, decodes Phoenix frames and hands them to
 * the session, answers pings, enforces the inbound rate and the idle timeout, and writes what
 * the {@link OutboundQueue} holds, batching frames that are queued together into one write.
 *
 * <p>Pekko HTTP's message-level WebSocket API costs several stream stages and a sub-stream per
 * message, and cannot send a chosen close code; one stage per connection is both cheaper and
 * able to close with the codes documented in docs/protocol.md.
 */
final class WebSocketConnection extends GraphStage<FlowShape<ByteString, ByteString>> {
  private final Inlet<ByteString> in = Inlet.create("WebSocketConnection.in");
  private final Outlet<ByteString> out = Outlet.create("WebSocketConnection.out");
  private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);

  private final ConnectionSettings settings;
  private final Metrics metrics;
  private final OutboundQueue queue;
  private final Function<OutboundQueue, ActorRef<Session.Command>> sessionFactory;

  WebSocketConnection(
      ConnectionSettings settings,
      Metrics metrics,
      OutboundQueue queue,
      Function<OutboundQueue, ActorRef<Session.Command>> sessionFactory) {
    this.settings = settings;
    this.metrics = metrics;
    this.queue = queue;
    this.sessionFactory = sessionFactory;
  }

  @Override
  public FlowShape<ByteString, ByteString> shape() {
    return shape;
  }

  private static final String IDLE_TIMER = "idle";
  private static final String CLOSE_TIMER = "close";

  /** Thrown into the TCP side to abort a connection whose peer did not finish the close in time. */
  static final class CloseTimeout extends RuntimeException {
    CloseTimeout() {
      super("peer did not complete the close handshake in time", null, false, false);
    }
  }

  @Override
  public GraphStageLogic createLogic(Attributes attrs) {
    return new TimerGraphStageLogic(shape) {
      private final ClientInput input = new ClientInput(settings, metrics, queue);
      private final long idleNanos = settings.idleTimeout().toNanos();
      private ActorRef<Session.Command> session;
      private long lastInbound = System.nanoTime();
      private CloseReason closing; // set once the connection is closing
      private boolean closeFrameSent;

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            lastInbound = System.nanoTime();
            if (input.read(grab(in), closeFrameSent)) {
              completeStage();
            } else if (input.reading() && !hasBeenPulled(in)) {
              pull(in);
            }
          }

          @Override
          public void onUpstreamFinish() {
            completeStage();
          }

          @Override
          public void onUpstreamFailure(Throwable ex) {
            completeStage(); // the peer went away; nothing to report to it
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            write();
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            completeStage();
          }
        });
      }

      @Override
      public void preStart() {
        metrics.connectionsOpened.increment();
        session = sessionFactory.apply(queue);
        input.attach(session);
        AsyncCallback<Object> wake = createAsyncCallback(ignored -> write());
        queue.attach(() -> wake.invoke(Boolean.TRUE));
        scheduleOnce(IDLE_TIMER, settings.idleTimeout());
        pull(in);
      }

      private void close(CloseReason reason) {
        queue.close(reason, false);
      }

      /** Writes what is queued; once it is written, the close frame of a requested close. */
      private void write() {
        if (closeFrameSent) return;
        CloseReason requested = queue.closeRequest();
        if (requested != null && closing == null) {
          closing = requested;
          // A slow consumer's socket may never drain; give up on it after the close timeout.
          scheduleOnce(CLOSE_TIMER, settings.closeTimeout());
        }
        if (!isAvailable(out)) return;
        ByteString batch = queue.poll(settings.writeBatchBytes());
        if (batch != null) {
          push(out, batch);
        } else if (closing != null) {
          push(out, WebSocketFrames.close(closing));
          closeFrameSent = true;
          if (!input.reading()) completeStage();
        }
      }

      @Override
      public void onTimer(Object key) {
        if (IDLE_TIMER.equals(key)) {
          long idle = System.nanoTime() - lastInbound;
          if (idle >= idleNanos) close(CloseReason.IDLE_TIMEOUT);
          else scheduleOnce(IDLE_TIMER, Duration.ofNanos(idleNanos - idle));
        } else if (CLOSE_TIMER.equals(key)) {
          failStage(new CloseTimeout()); // aborts the TCP connection, releasing its buffers
        }
      }

      @Override
      public void postStop() {
        queue.terminate();
        metrics.connectionClosed(closing == null ? "peer" : closing.label());
        if (session != null) session.tell(new Session.ConnectionClosed());
      }
    };
  }
}
