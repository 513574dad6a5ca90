package dev.chorus.ops;

import dev.chorus.transport.CloseReason;
import dev.chorus.transport.Connections;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Drains the node: refuses new WebSockets at once, then closes the open ones with 1012
 * ({@link CloseReason#SERVICE_RESTART}) in equal batches spread over the drain window, so that
 * clients, which reconnect almost at once, reach the other nodes as a steady stream and not as
 * one storm. Answers {@link Done} once every connection has ended, or when the window plus the
 * close timeout has passed. Draining happens once in a node's life; asking again just waits.
 */
public final class Drainer {

  public sealed interface Command {}

  /**
   * Starts (or joins) the drain. {@code immediately}: close every connection now, e.g. when the
   * cluster has removed this node and there is no cluster left to serve them.
   */
  public record Drain(boolean immediately, ActorRef<Done> replyTo) implements Command {}

  private enum Tick implements Command { INSTANCE }

  /** The drain window and how often a batch is closed; see chorus.drain in reference.conf. */
  public record Settings(Duration window, Duration interval, Duration closeTimeout) {}

  public static Behavior<Command> create(Connections connections, Settings settings) {
    return Behaviors.withTimers(timers -> Behaviors.receive(Command.class)
        .onMessage(Drain.class, m -> new Draining(connections, settings, timers, m).behavior())
        .build());
  }

  /** One drain in progress. */
  private static final class Draining {
    private final Connections connections;
    private final TimerScheduler<Command> timers;
    private final List<ActorRef<Done>> waiting = new ArrayList<>();
    private final DrainPlan plan;
    private final long deadlineNanos;
    private int batchesDone;
    private int asked;
    private boolean finished;

    Draining(Connections connections, Settings settings, TimerScheduler<Command> timers, Drain first) {
      this.connections = connections;
      this.timers = timers;
      connections.stopAccepting();
      this.plan = DrainPlan.of(connections.count(), settings, first.immediately());
      this.deadlineNanos = plan.deadlineNanos(System.nanoTime());
      waiting.add(first.replyTo());
      timers.startTimerWithFixedDelay(Tick.INSTANCE, plan.tick());
      closeNextBatch();
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessage(Drain.class, this::onDrain)
          .onMessageEquals(Tick.INSTANCE, this::onTick)
          .build();
    }

    private Behavior<Command> onDrain(Drain m) {
      if (finished) {
        m.replyTo().tell(Done.getInstance());
        return Behaviors.same();
      }
      waiting.add(m.replyTo());
      if (m.immediately()) {
        asked += connections.close(DrainPlan.ALL, CloseReason.SERVICE_RESTART);
        batchesDone = plan.batches();
      }
      return Behaviors.same();
    }

    private Behavior<Command> onTick() {
      if (finished) return Behaviors.same();
      if (batchesDone < plan.batches()) closeNextBatch();
      // No connection left (new ones are refused): done, however many batches were planned.
      if (connections.count() == 0 || (batchesDone >= plan.batches() && System.nanoTime() > deadlineNanos)) {
        finished = true;
        timers.cancelAll();
        waiting.forEach(w -> w.tell(Done.getInstance()));
        waiting.clear();
      }
      return Behaviors.same();
    }

    /** Batch k of n brings the connections asked to close up to k/n of those open at the start. */
    private void closeNextBatch() {
      batchesDone++;
      int target = plan.target(batchesDone);
      if (target > asked) asked += connections.close(target - asked, CloseReason.SERVICE_RESTART);
    }
  }
}
