package dev.chorus.testkit;

import dev.chorus.ChorusNode;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One node for a test class ({@link TestNode#start(String)} with the given HOCON overrides),
 * started before its tests and closed after them:
 * {@code @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension("...");}
 */
public final class TestNodeExtension implements BeforeAllCallback, AfterAllCallback {
  private final String overrides;
  private ChorusNode node;

  public TestNodeExtension(String overrides) {
    this.overrides = overrides;
  }

  public TestNodeExtension() {
    this("");
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    node = TestNode.start(overrides);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (node != null) node.close();
    node = null;
  }

  public ChorusNode node() {
    return node;
  }

  /** The node's WebSocket port. */
  public int port() {
    return node.httpAddress().getPort();
  }
}
