package dev.chorus.hooks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The body of a hook request: the fields every hook sends ({@code hook}, {@code request_id},
 * {@code node}, {@code ts}, {@code user}, {@code conn_id}) and the hook's own ({@code topic},
 * {@code payload}, ...), as compact JSON bytes, signed as they are.
 */
public final class HookRequest {
  static final ObjectMapper JSON = new ObjectMapper();

  private HookRequest() {}

  /** The hook's own fields start from an object made here. */
  public static ObjectNode fields() {
    return JSON.createObjectNode();
  }

  public static byte[] render(String hook, String requestId, String node, long ts, String user, String connId, ObjectNode fields) {
    ObjectNode body = JSON.createObjectNode();
    body.put("hook", hook);
    body.put("request_id", requestId);
    body.put("node", node);
    body.put("ts", ts);
    body.put("user", user);
    body.put("conn_id", connId);
    body.setAll(fields);
    try {
      return JSON.writeValueAsBytes(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a tree of JSON nodes always renders", e);
    }
  }
}
