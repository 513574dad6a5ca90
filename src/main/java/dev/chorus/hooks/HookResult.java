package dev.chorus.hooks;

/**
 * What a hook call came to: the backend's {@link HookAnswer}, or a failure to get one, with
 * its {@link HookSettings.OnFailure} policy already applied when it is {@code allow} (the
 * caller then gets {@link HookAnswer#allow()}, as if the hook were off).
 */
public sealed interface HookResult {

  /** The backend answered (or failed, and the hook's policy is allow). */
  record Answered(HookAnswer answer) implements HookResult {}

  /** No answer, and the hook's policy is refuse: the client gets {@code kind.reason()}. */
  record Failed(FailureKind kind) implements HookResult {}

  /**
   * A call's outcome as an actor's {@code pipeToSelf} hands it over: {@link Hook#call} completes
   * with a result, never an error; should it fail anyway, the call counts as a lost connection.
   */
  static HookResult of(HookResult result, Throwable error) {
    return result != null ? result : new Failed(FailureKind.CONNECTION);
  }

  /** Why a call got no usable answer; each is a metric label and a reason a client may see. */
  enum FailureKind {
    /** No answer within the hook's timeout. */
    TIMEOUT("timeout", "backend timeout"),
    /** An answer with a status other than 200. */
    STATUS("status", "backend unavailable"),
    /** No connection, or it broke. */
    CONNECTION("connection", "backend unavailable"),
    /** The breaker is open after max-failures failures in a row: no call until reset-timeout. */
    REFUSED_BY_BREAKER("refused_by_breaker", "backend unavailable"),
    /** Max-in-flight calls already waiting: this one fails at once. */
    BUSY("busy", "backend busy"),
    /** An answer that is not the JSON the hook expects, or too large. */
    BAD_ANSWER("bad_answer", "backend unavailable");

    private final String label;
    private final String reason;

    FailureKind(String label, String reason) {
      this.label = label;
      this.reason = reason;
    }

    public String label() {
      return label;
    }

    public String reason() {
      return reason;
    }
  }
}
