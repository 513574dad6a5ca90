package dev.chorus.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Start line for child processes: a child prints {@code READY} once all its connections have
 * joined and waits for {@code GO} on stdin, so that every process starts publishing (or
 * holding) at the same moment. A lone process just goes on.
 */
final class ShardSignals {
  static final String READY = "READY";
  static final String GO = "GO";

  private final boolean child;

  ShardSignals(boolean child) {
    this.child = child;
  }

  void readyAndAwaitGo() throws IOException {
    if (!child) return;
    System.out.println(READY);
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.trim().equals(GO)) return;
    }
    throw new IOException("parent closed stdin before GO");
  }
}
