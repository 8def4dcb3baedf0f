package dev.chervil.pool.process;

import dev.chervil.limits.TimeLimits;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskError;
import dev.chervil.task.TaskRequest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The frames of the supervisor–child protocol, as JSON objects:
 *
 * <ul>
 *   <li>child → supervisor: {@code ready {pid, sid}}, {@code result {id, outcome}};
 *   <li>supervisor → child: {@code run {request}}, {@code cancel {id, reason}}.
 * </ul>
 *
 * Hard limits and losses never cross the channel: the supervisor decides those itself.
 */
final class Frames {
  private Frames() {}

  static Map<String, Object> ready(long pid, long sid) {
    return Map.of("type", "ready", "pid", pid, "sid", sid);
  }

  static Map<String, Object> run(TaskRequest r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", r.id());
    m.put("name", r.name());
    m.put("args", r.args());
    m.put("kwargs", r.kwargs());
    m.put("retries", r.retries());
    m.put("root_id", r.rootId());
    m.put("parent_id", r.parentId());
    m.put("group_id", r.groupId());
    Map<String, Object> frame = new LinkedHashMap<>();
    frame.put("type", "run");
    frame.put("request", m);
    return frame;
  }

  static Map<String, Object> cancel(String id, String reason) {
    return Map.of("type", "cancel", "id", id, "reason", reason);
  }

  static Map<String, Object> result(String id, Outcome outcome) {
    return Map.of("type", "result", "id", id, "outcome", outcome(outcome));
  }

  /** The child's view of a request: limits stay with the supervisor, which times them. */
  @SuppressWarnings("unchecked")
  static TaskRequest request(Map<String, Object> frame) {
    Map<String, Object> m = (Map<String, Object>) frame.get("request");
    return new TaskRequest(
        (String) m.get("id"),
        (String) m.get("name"),
        (List<Object>) m.get("args"),
        (Map<String, Object>) m.get("kwargs"),
        ((Number) m.get("retries")).intValue(),
        (String) m.get("root_id"),
        (String) m.get("parent_id"),
        (String) m.get("group_id"),
        TimeLimits.NONE);
  }

  @SuppressWarnings("unchecked")
  static Outcome outcome(Map<String, Object> frame) {
    Map<String, Object> m = (Map<String, Object>) frame.get("outcome");
    return switch ((String) m.get("kind")) {
      case "ok" -> new Outcome.Ok(m.get("result"));
      case "failed" -> new Outcome.Failed(error(m.get("error")));
      case "soft-timeout" -> new Outcome.SoftTimedOut(error(m.get("error")));
      case "retry" ->
          new Outcome.RetryRequested(
              Duration.ofMillis(((Number) m.get("countdown_ms")).longValue()),
              m.get("error") == null ? null : error(m.get("error")),
              m.get("max_retries") == null ? null : ((Number) m.get("max_retries")).intValue());
      default -> throw new IllegalArgumentException("unknown outcome kind " + m.get("kind"));
    };
  }

  private static Map<String, Object> outcome(Outcome o) {
    Map<String, Object> m = new LinkedHashMap<>();
    switch (o) {
      case Outcome.Ok ok -> {
        m.put("kind", "ok");
        m.put("result", ok.result());
      }
      case Outcome.Failed f -> {
        m.put("kind", "failed");
        m.put("error", error(f.error()));
      }
      case Outcome.SoftTimedOut s -> {
        m.put("kind", "soft-timeout");
        m.put("error", error(s.error()));
      }
      case Outcome.RetryRequested r -> {
        m.put("kind", "retry");
        m.put("countdown_ms", r.countdown() == null ? 0 : r.countdown().toMillis());
        m.put("error", r.cause() == null ? null : error(r.cause()));
        m.put("max_retries", r.maxRetries());
      }
      case Outcome.HardKilled h ->
          throw new IllegalArgumentException("decided by the supervisor: " + h);
      case Outcome.Lost l -> throw new IllegalArgumentException("decided by the supervisor: " + l);
    }
    return m;
  }

  private static Map<String, Object> error(TaskError e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", e.type());
    m.put("message", e.message());
    m.put("module", e.module());
    m.put("traceback", e.traceback());
    m.put("lineage", e.lineage());
    return m;
  }

  @SuppressWarnings("unchecked")
  private static TaskError error(Object o) {
    Map<String, Object> m = (Map<String, Object>) o;
    return new TaskError(
        (String) m.get("type"),
        (String) m.get("message"),
        (String) m.get("module"),
        (String) m.get("traceback"),
        (List<String>) m.get("lineage"));
  }
}
