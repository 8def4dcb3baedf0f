package dev.chervil.pool.process;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.chervil.limits.TimeLimits;
import dev.chervil.pool.process.FrameChannel.Frame;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskError;
import dev.chervil.task.TaskRequest;
import dev.chervil.task.TaskRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The frames of the supervisor–child protocol: a JSON header, and a payload of raw JSON bytes.
 *
 * <ul>
 *   <li>child → supervisor: {@code ready {pid, sid}}, {@code result {id, outcome}} with the task's
 *       result as the payload (JSON, encoded once, by the child);
 *   <li>supervisor → child: {@code run {id, name, ...}} with the arguments as the payload: the
 *       message body exactly as it arrived ({@code [args, kwargs, embed]}) when the request has it,
 *       else {@code [args, kwargs]} encoded here; {@code cancel {id, reason}}.
 * </ul>
 *
 * Hard limits and losses never cross the channel: the supervisor decides those itself.
 */
final class Frames {
  private static final ObjectMapper JSON = CeleryJsonCodec.mapper();
  // Inside the arguments array a value is followed by the next one: not a trailing token.
  private static final ObjectReader LIST =
      JSON.readerFor(List.class).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final ObjectReader MAP =
      JSON.readerFor(Map.class).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private Frames() {}

  /** A run frame as the child received it: the request's identity, and its undecoded arguments. */
  record Run(Map<String, Object> header, byte[] arguments) {
    String id() {
      return (String) header.get("id");
    }
  }

  static Map<String, Object> ready(long pid, long sid) {
    return Map.of("type", "ready", "pid", pid, "sid", sid);
  }

  static Map<String, Object> runHeader(TaskRequest r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "run");
    m.put("id", r.id());
    m.put("name", r.name());
    m.put("retries", r.retries());
    m.put("root_id", r.rootId());
    m.put("parent_id", r.parentId());
    m.put("group_id", r.groupId());
    return m;
  }

  /** The arguments as they go to the child: the body as it arrived, or encoded from the values. */
  static byte[] runPayload(TaskRequest r) throws JsonProcessingException {
    return r.body() != null
        ? r.body()
        : JSON.writeValueAsBytes(Arrays.asList(r.args(), r.kwargs()));
  }

  static Map<String, Object> cancel(String id, String reason) {
    return Map.of("type", "cancel", "id", id, "reason", reason);
  }

  /**
   * The child's view of a request, decoded in the child (where the task runs) from the header and
   * the payload's first two elements; the embed that may follow is left unread. Limits stay with
   * the supervisor, which times them.
   */
  @SuppressWarnings("unchecked")
  static TaskRequest request(Run run) {
    Map<String, Object> m = run.header();
    List<Object> args;
    Map<String, Object> kwargs;
    try (JsonParser p = JSON.createParser(run.arguments())) {
      expect(p.nextToken() == JsonToken.START_ARRAY, "arguments are not a JSON array");
      expect(p.nextToken() == JsonToken.START_ARRAY, "args is not a JSON array");
      args = LIST.readValue(p);
      JsonToken t = p.nextToken();
      if (t == JsonToken.START_OBJECT) {
        kwargs = MAP.readValue(p);
      } else {
        expect(t == JsonToken.END_ARRAY || t == JsonToken.VALUE_NULL, "kwargs is not an object");
        kwargs = Map.of();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("undecodable arguments for task " + run.id(), e);
    }
    return new TaskRequest(
        (String) m.get("id"),
        (String) m.get("name"),
        args,
        kwargs,
        ((Number) m.get("retries")).intValue(),
        (String) m.get("root_id"),
        (String) m.get("parent_id"),
        (String) m.get("group_id"),
        TimeLimits.NONE);
  }

  /**
   * A result frame, as the child writes it: the outcome in the header and, for a success, the
   * result as the payload. This is the one place a result is encoded; one that Jackson cannot write
   * becomes Celery's {@code EncodeError} failure instead.
   */
  static Frame result(String id, Outcome outcome) {
    if (outcome instanceof Outcome.Ok ok) {
      try {
        return new Frame(resultHeader(id, okHeader()), JSON.writeValueAsBytes(ok.result()));
      } catch (JsonProcessingException e) {
        outcome = new Outcome.Failed(TaskRunner.encodeError(ok.result(), e));
      }
    }
    return new Frame(resultHeader(id, outcome(outcome)), new byte[0]);
  }

  /** The supervisor's view of a result frame; a success's payload is decoded once, here. */
  @SuppressWarnings("unchecked")
  static Outcome outcome(Frame frame) throws IOException {
    Map<String, Object> m = (Map<String, Object>) frame.header().get("outcome");
    return switch ((String) m.get("kind")) {
      case "ok" -> new Outcome.Ok(JSON.readValue(frame.payload(), Object.class));
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

  private static Map<String, Object> resultHeader(String id, Map<String, Object> outcome) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "result");
    m.put("id", id);
    m.put("outcome", outcome);
    return m;
  }

  private static Map<String, Object> okHeader() {
    return Map.of("kind", "ok");
  }

  private static Map<String, Object> outcome(Outcome o) {
    Map<String, Object> m = new LinkedHashMap<>();
    switch (o) {
      case Outcome.Ok ok -> throw new IllegalArgumentException("a success travels as a payload");
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

  private static void expect(boolean ok, String what) throws JsonProcessingException {
    if (!ok) {
      throw new JsonProcessingException(what) {};
    }
  }
}
