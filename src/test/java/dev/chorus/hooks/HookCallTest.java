package dev.chorus.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.chorus.testkit.FreePorts;
import dev.chorus.testkit.HookBackend;
import dev.chorus.testkit.HookBackend.Answer;
import dev.chorus.testkit.TestNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@link Hook} against a real HTTP backend: the request it sends (signed, with the common
 * fields), and each way a call can fail (status, timeout, busy, connection refused, the breaker
 * open, a bad answer), with both on-failure policies.
 */
@Timeout(60)
class HookCallTest {
  static final String SECRET = "test-secret";
  static ActorSystem system;
  static Hooks hooks;
  static HookBackend backend;

  @BeforeAll
  static void start() throws Exception {
    system = ActorSystem.create("hook-call-test", ConfigFactory.parseString("chorus.hooks.secret = \"" + SECRET + "\"")
        .withFallback(ConfigFactory.load()));
    hooks = Hooks.get(system);
    backend = new HookBackend(SECRET, r -> switch (r.path()) {
      case "/allow" -> Answer.json("{\"result\":\"allow\"}");
      case "/refuse" -> Answer.json("{\"result\":\"refuse\",\"reason\":\"no\"}");
      case "/500" -> Answer.status(500);
      default -> Answer.json("{\"this\":\"is not an answer\"}");
    });
  }

  @AfterAll
  static void stop() {
    backend.close();
    TestKit.shutdownActorSystem(system);
  }

  static HookSettings settings(String url, Duration timeout, int maxInFlight, HookSettings.OnFailure onFailure, int maxFailures) {
    return new HookSettings(url, timeout, maxInFlight, onFailure, maxFailures, Duration.ofSeconds(30), 0, List.of(), List.of());
  }

  static HookSettings settings(String url) {
    return settings(url, Duration.ofSeconds(5), 10, HookSettings.OnFailure.REFUSE, 5);
  }

  static HookResult call(Hook hook) throws Exception {
    CompletionStage<HookResult> r = hook.call("ann", "c-1", HookRequest.fields().put("topic", "room:a"), HookAnswer::verdict);
    return r.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void anAllowedCallSendsASignedRequestWithTheCommonFields() throws Exception {
    HookResult r = call(hooks.hook("publish", "allow", settings(backend.url("/allow"))));
    assertTrue(((HookResult.Answered) r).answer().allowed());
    HookBackend.Received got = backend.received("/allow").get(0);
    assertTrue(got.signed(), "signed with the secret");
    assertEquals("publish", got.body().get("hook").asText());
    assertEquals("ann", got.body().get("user").asText());
    assertEquals("c-1", got.body().get("conn_id").asText());
    assertEquals("room:a", got.body().get("topic").asText());
    assertEquals(got.requestIdHeader(), got.body().get("request_id").asText());
    assertTrue(got.body().get("node").asText().startsWith("pekko://"), got.body().toString());
    assertTrue(Math.abs(System.currentTimeMillis() - got.body().get("ts").asLong()) < 60_000);
    assertEquals(1, hooks.metrics().outcomes("publish", "allow", "allow"));
  }

  @Test
  void aRefusalIsAnAnswerNotAFailure() throws Exception {
    HookResult r = call(hooks.hook("publish", "refuse", settings(backend.url("/refuse"))));
    HookAnswer a = ((HookResult.Answered) r).answer();
    assertFalse(a.allowed());
    assertEquals("no", a.reason());
  }

  @Test
  void aStatusOtherThan200IsAFailure() throws Exception {
    HookResult r = call(hooks.hook("publish", "500", settings(backend.url("/500"))));
    assertEquals(HookResult.FailureKind.STATUS, ((HookResult.Failed) r).kind());
    assertEquals("backend unavailable", ((HookResult.Failed) r).kind().reason());
    assertEquals(1, hooks.metrics().errors("publish", "500", "status"));
  }

  @Test
  void anAnswerThatIsNoVerdictIsABadAnswer() throws Exception {
    HookResult r = call(hooks.hook("publish", "bad", settings(backend.url("/bad"))));
    assertEquals(HookResult.FailureKind.BAD_ANSWER, ((HookResult.Failed) r).kind());
  }

  @Test
  void aSlowBackendTimesOut() throws Exception {
    Hook hook = hooks.hook("publish", "slow", settings(backend.url("/allow"), Duration.ofMillis(300), 1, HookSettings.OnFailure.REFUSE, 100));
    backend.hold();
    try {
      HookResult r = call(hook);
      assertEquals(HookResult.FailureKind.TIMEOUT, ((HookResult.Failed) r).kind());
      assertEquals(1, hooks.metrics().errors("publish", "slow", "timeout"));
    } finally {
      backend.release();
    }
  }

  @Test
  void overMaxInFlightACallIsBusyAtOnce() throws Exception {
    // a timeout far longer than the test: the first call is in flight until the backend is released
    Hook hook = hooks.hook("publish", "busy", settings(backend.url("/allow"), Duration.ofSeconds(30), 1, HookSettings.OnFailure.REFUSE, 100));
    backend.hold();
    try {
      CompletionStage<HookResult> first = hook.call("ann", "c-1", HookRequest.fields(), HookAnswer::verdict);
      TestNode.await("the first call to reach the backend", Duration.ofSeconds(10), () -> backend.held() == 1);
      HookResult second = call(hook);
      assertEquals(HookResult.FailureKind.BUSY, ((HookResult.Failed) second).kind());
      assertEquals("backend busy", ((HookResult.Failed) second).kind().reason());
      assertEquals(1, hooks.metrics().errors("publish", "busy", "busy"));
      backend.release();
      HookResult r = first.toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertTrue(((HookResult.Answered) r).answer().allowed(), "the first call is answered once the backend answers");
    } finally {
      backend.release();
    }
  }

  /**
   * Waits for hook {@code name} of {@code namespace} to have its breaker open. Pekko's breaker
   * counts a failure in a callback of the call's future, which may run just after the caller saw
   * the failure (a CI run's third call still went out): a test that expects the next call to be
   * refused by the breaker waits for it to open first.
   */
  static void awaitBreakerOpen(Hooks hooks, String name, String namespace) throws Exception {
    TestNode.await("the breaker of " + name + "/" + namespace + " to open", Duration.ofSeconds(5),
        () -> hooks.breakerOpen(name, namespace));
  }

  @Test
  void aBackendDownOpensTheBreakerAfterMaxFailures() throws Exception {
    Hook hook = hooks.hook("publish", "down", settings(downUrl(), Duration.ofSeconds(5), 10, HookSettings.OnFailure.REFUSE, 2));
    assertEquals(HookResult.FailureKind.CONNECTION, ((HookResult.Failed) call(hook)).kind());
    assertEquals(HookResult.FailureKind.CONNECTION, ((HookResult.Failed) call(hook)).kind());
    awaitBreakerOpen(hooks, "publish", "down");
    assertEquals(HookResult.FailureKind.REFUSED_BY_BREAKER, ((HookResult.Failed) call(hook)).kind());
    assertEquals(2, hooks.metrics().errors("publish", "down", "connection"));
    assertEquals(1, hooks.metrics().errors("publish", "down", "refused_by_breaker"));
    assertEquals(3, hooks.metrics().outcomes("publish", "down", "failed_refuse"));
  }

  @Test
  void withOnFailureAllowAFailureAllows() throws Exception {
    Hook hook = hooks.hook("publish", "down-allow", settings(downUrl(), Duration.ofSeconds(5), 10, HookSettings.OnFailure.ALLOW, 1));
    for (int i = 0; i < 2; i++) { // a connection failure, then the breaker open
      HookResult r = call(hook);
      assertInstanceOf(HookResult.Answered.class, r);
      assertTrue(((HookResult.Answered) r).answer().allowed());
      if (i == 0) awaitBreakerOpen(hooks, "publish", "down-allow");
    }
    assertEquals(1, hooks.metrics().errors("publish", "down-allow", "refused_by_breaker"));
    assertEquals(2, hooks.metrics().outcomes("publish", "down-allow", "failed_allow"));
  }

  /**
   * A URL where nothing listens, on a port below the ephemeral range ({@link FreePorts}): a port
   * bound with 0 and released could be handed to a node started after it (its WebSocket,
   * cluster or management port), and the "down" backend would answer.
   */
  static String downUrl() throws Exception {
    return "http://127.0.0.1:" + FreePorts.next() + "/down";
  }
}
