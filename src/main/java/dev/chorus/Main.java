package dev.chorus;

import com.typesafe.config.ConfigValueFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The command line: {@code serve} (the default), {@code bench} (the load generator),
 * {@code token} (mint a connection token) and {@code --help}.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    if (!rest.isEmpty() && rest.get(0).equals("bench")) {
      System.exit(dev.chorus.bench.Bench.run(rest.subList(1, rest.size())));
    }
    if (!rest.isEmpty() && rest.get(0).equals("token")) {
      System.exit(dev.chorus.auth.TokenCommand.run(rest.subList(1, rest.size())));
    }
    if (rest.contains("--help") || rest.contains("-h")) {
      System.out.print(Settings.help());
      return;
    }
    if (!rest.isEmpty() && !rest.get(0).startsWith("-")) {
      String command = rest.remove(0);
      if (!command.equals("serve")) {
        System.err.println("unknown command '" + command + "'\n");
        System.err.print(Settings.help());
        System.exit(2);
      }
    }
    ChorusNode node;
    try {
      // As a process of its own, the node exits once CoordinatedShutdown has run its phases,
      // even when terminating the actor system times out (seen on a node cut off from the
      // cluster); tests that run nodes inside their JVM keep exit-jvm off.
      node = ChorusNode.start(Settings.load(rest, System.getenv())
          .withValue("pekko.coordinated-shutdown.exit-jvm", ConfigValueFactory.fromAnyRef(true)));
    } catch (IllegalArgumentException e) {
      System.err.println("chorus: " + e.getMessage());
      System.exit(2);
      return;
    }
    // SIGTERM runs the actor system's CoordinatedShutdown (its JVM shutdown hook); the system
    // also terminates when the cluster removes this node or a drain ends. Either way the
    // process ends with it (exit-jvm above covers a termination that hangs).
    node.whenTerminated().join();
    System.exit(0);
  }
}
