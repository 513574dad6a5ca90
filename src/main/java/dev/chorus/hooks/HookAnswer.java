package dev.chorus.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A backend's answer, read and checked. The publish, join and connect hooks answer a verdict,
 * {@code {"result": "allow", ...}} or {@code {"result": "refuse", "reason": "..."}}, with the
 * optional fields of their hook: {@code payload} (publish, a new JSON payload), {@code binary}
 * (publish of a binary push, new bytes in base64), {@code reply} and {@code meta} (join),
 * {@code user}, {@code meta} and {@code topics} (connect). The RPC hook answers
 * {@code {"reply": ...}} or {@code {"error": "reason"}}, read as allowed with a reply or refused.
 * Anything else is a {@link BadAnswer}: a backend fault, counted as a failure.
 */
public record HookAnswer(
    boolean allowed, String reason, JsonNode payload, byte[] binary, JsonNode reply, ObjectNode meta, String user,
    List<String> topics) {

  /** Longest refusal reason passed on to the client; a longer one is cut. */
  static final int MAX_REASON_LENGTH = 200;

  /** An answer that is not what the hook expects. */
  public static final class BadAnswer extends Exception {
    public BadAnswer(String message) {
      super(message, null, false, false);
    }
  }

  public static HookAnswer allow() {
    return new HookAnswer(true, null, null, null, null, null, null, null);
  }

  public static HookAnswer verdict(byte[] body) throws BadAnswer {
    JsonNode answer = parse(body);
    String result = answer.path("result").asText("");
    if (result.equals("refuse")) return refused(answer.get("reason"));
    if (!result.equals("allow")) throw new BadAnswer("\"result\" must be \"allow\" or \"refuse\"");
    JsonNode payload = answer.get("payload");
    if (payload != null && payload.isNull()) payload = null;
    byte[] binary = null;
    JsonNode b = answer.get("binary");
    if (b != null && !b.isNull()) {
      if (!b.isTextual()) throw new BadAnswer("\"binary\" must be a base64 string");
      try {
        binary = Base64.getDecoder().decode(b.asText());
      } catch (IllegalArgumentException e) {
        throw new BadAnswer("\"binary\" is not base64");
      }
    }
    JsonNode reply = answer.get("reply");
    if (reply != null && !reply.isNull() && !reply.isObject()) throw new BadAnswer("\"reply\" must be an object");
    JsonNode meta = answer.get("meta");
    if (meta != null && !meta.isNull() && !meta.isObject()) throw new BadAnswer("\"meta\" must be an object");
    JsonNode user = answer.get("user");
    if (user != null && !user.isNull() && (!user.isTextual() || user.asText().isBlank())) {
      throw new BadAnswer("\"user\" must be a non-empty string");
    }
    List<String> topics = null;
    JsonNode t = answer.get("topics");
    if (t != null && !t.isNull()) {
      if (!t.isArray()) throw new BadAnswer("\"topics\" must be an array of strings");
      topics = new ArrayList<>();
      for (JsonNode topic : t) {
        if (!topic.isTextual()) throw new BadAnswer("\"topics\" must be an array of strings");
        topics.add(topic.asText());
      }
      topics = List.copyOf(topics);
    }
    return new HookAnswer(true, null, payload, binary, reply == null || reply.isNull() ? null : reply,
        meta == null || meta.isNull() ? null : (ObjectNode) meta, user == null || user.isNull() ? null : user.asText(), topics);
  }

  public static HookAnswer rpc(byte[] body) throws BadAnswer {
    JsonNode answer = parse(body);
    if (answer.has("error")) return refused(answer.get("error"));
    if (!answer.has("reply")) throw new BadAnswer("an RPC answer has \"reply\" or \"error\"");
    return new HookAnswer(true, null, null, null, answer.get("reply"), null, null, null);
  }

  private static HookAnswer refused(JsonNode reason) throws BadAnswer {
    if (reason != null && !reason.isNull() && !reason.isTextual()) throw new BadAnswer("a refusal's reason must be a string");
    String r = reason == null || reason.isNull() || reason.asText().isBlank() ? "refused" : reason.asText();
    if (r.length() > MAX_REASON_LENGTH) r = r.substring(0, MAX_REASON_LENGTH);
    return new HookAnswer(false, r, null, null, null, null, null, null);
  }

  private static JsonNode parse(byte[] body) throws BadAnswer {
    JsonNode answer;
    try {
      answer = HookRequest.JSON.readTree(body);
    } catch (IOException e) {
      throw new BadAnswer("not JSON");
    }
    if (answer == null || !answer.isObject()) throw new BadAnswer("not a JSON object");
    return answer;
  }
}
