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
      private final ConnectionCore core = new ConnectionCore(settings, metrics, queue);

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            if (core.read(grab(in))) {
              completeStage();
            } else if (core.reading() && !hasBeenPulled(in)) {
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
        AsyncCallback<Object> wake = createAsyncCallback(ignored -> write());
        core.start(sessionFactory, () -> wake.invoke(Boolean.TRUE));
        scheduleOnce(IDLE_TIMER, settings.idleTimeout());
        pull(in);
      }

      /** Writes one batch of what is queued; once it is written, the close frame of a requested close. */
      private void write() {
        if (core.closeStarted()) scheduleOnce(CLOSE_TIMER, settings.closeTimeout());
        if (!isAvailable(out)) return;
        ByteString next = core.nextWrite();
        if (next == null) return;
        push(out, next);
        if (core.endAfterCloseFrame()) completeStage();
      }

      @Override
      public void onTimer(Object key) {
        if (IDLE_TIMER.equals(key)) {
          long next = core.checkIdle();
          if (next > 0) scheduleOnce(IDLE_TIMER, Duration.ofNanos(next));
        } else if (CLOSE_TIMER.equals(key)) {
          failStage(new CloseTimeout()); // aborts the TCP connection, releasing its buffers
        }
      }

      @Override
      public void postStop() {
        core.ended();
      }
    };
  }
}
