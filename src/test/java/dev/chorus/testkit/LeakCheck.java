package dev.chorus.testkit;

import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reports a leaked buffer: a reference-counted frame that was
 * garbage-collected without being released (a queue that forgot to free what it dropped, say).
 * Registered for every test class (META-INF/services, junit-platform.properties); surefire runs
 * with {@code -Dio.netty.leakDetection.level=paranoid}, so every buffer is tracked. Netty finds
 * leaks only when the collector has freed them, so after each class this collects, then allocates
 * (which is when Netty looks), and fails with the recorded access points of any leak.
 */
public final class LeakCheck implements AfterAllCallback {
  private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

  static {
    // Before any buffer class loads, so that the buffers' detector is this one.
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
      @Override
      public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
        return new ResourceLeakDetector<T>(resource, samplingInterval) {
          @Override
          protected boolean needReport() {
            return true;
          }

          @Override
          protected void reportTracedLeak(String resourceType, String records) {
            LEAKS.add(resourceType + " leaked:" + records);
            super.reportTracedLeak(resourceType, records);
          }

          @Override
          protected void reportUntracedLeak(String resourceType) {
            LEAKS.add(resourceType + " leaked (no access records)");
            super.reportUntracedLeak(resourceType);
          }
        };
      }
    });
  }

  @Override
  public void afterAll(ExtensionContext context) throws InterruptedException {
    for (int round = 0; round < 3 && LEAKS.isEmpty(); round++) {
      System.gc();
      // Lets the collector's reference handler enqueue freed trackers: a run without leaks
      // reports nothing, so there is nothing to await.
      Thread.sleep(20);
      for (int i = 0; i < 8; i++) ByteBufAllocator.DEFAULT.directBuffer(1).release();
    }
    if (!LEAKS.isEmpty()) {
      String report = String.join("\n\n", LEAKS);
      LEAKS.clear();
      throw new AssertionError("Netty reported leaked buffers (found after " + context.getDisplayName() + "):\n" + report);
    }
  }
}
