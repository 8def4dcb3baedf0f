package dev.chervil.worker;

import dev.chervil.backend.ResultBackend;
import dev.chervil.backend.ResultMeta;
import dev.chervil.backend.TaskState;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.TaskError;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes task states to the result backend in Celery's shape, {@code group_id} and {@code
 * parent_id} included; with {@code result_extended} also {@code name, args, kwargs, worker,
 * retries, queue}. A backend failure is logged, never thrown: the message's settlement must not
 * depend on the result store being up.
 */
final class ResultWriter {
  private static final Logger log = LoggerFactory.getLogger(ResultWriter.class);

  private final ResultBackend backend;
  private final boolean extended;
  private final String worker = "chervil@" + hostname();

  ResultWriter(ResultBackend backend) {
    this(backend, false);
  }

  ResultWriter(ResultBackend backend, boolean extended) {
    this.backend = backend;
    this.extended = extended;
  }

  /** As {@link #success(TaskMessage, Object)}, naming the queue it came from (extended meta). */
  void success(Intake.Accepted a, Object result) {
    store(a.message(), a.delivery().queue(), TaskState.SUCCESS, result, null);
  }

  void failure(Intake.Accepted a, TaskError error) {
    store(a.message(), a.delivery().queue(), TaskState.FAILURE, error.toMeta(), error.traceback());
  }

  void retry(Intake.Accepted a, TaskError cause) {
    store(a.message(), a.delivery().queue(), TaskState.RETRY, cause.toMeta(), cause.traceback());
  }

  void revoked(Intake.Accepted a, String reason) {
    store(
        a.message(),
        a.delivery().queue(),
        TaskState.REVOKED,
        TaskError.celery("TaskRevokedError", reason).toMeta(),
        null);
  }

  void success(TaskMessage m, Object result) {
    store(m, TaskState.SUCCESS, result, null);
  }

  void failure(TaskMessage m, TaskError error) {
    store(m, TaskState.FAILURE, error.toMeta(), error.traceback());
  }

  void retry(TaskMessage m, TaskError cause) {
    store(m, TaskState.RETRY, cause.toMeta(), cause.traceback());
  }

  void revoked(TaskMessage m, String reason) {
    store(m, TaskState.REVOKED, TaskError.celery("TaskRevokedError", reason).toMeta(), null);
  }

  /**
   * For a message rejected before it became a {@link TaskMessage}'s run: only id and route known.
   */
  void failure(String taskId, String replyTo, TaskError error) {
    write(
        new ResultMeta(taskId, TaskState.FAILURE, error.toMeta(), error.traceback(), null, now()),
        replyTo,
        taskId);
  }

  private void store(TaskMessage m, TaskState state, Object result, String traceback) {
    store(m, null, state, result, traceback);
  }

  private void store(
      TaskMessage m, String queue, TaskState state, Object result, String traceback) {
    String correlationId =
        m.properties() != null && m.properties().correlationId() != null
            ? m.properties().correlationId()
            : m.id();
    String replyTo = m.properties() == null ? null : m.properties().replyTo();
    write(
        new ResultMeta(m.id(), state, result, traceback, null, now(), extra(m, queue)),
        replyTo,
        correlationId);
  }

  private void write(ResultMeta meta, String replyTo, String correlationId) {
    try {
      backend.store(meta, replyTo, correlationId);
    } catch (RuntimeException e) {
      log.error(
          "event=result-store-failed task={} state={} reason={}",
          meta.taskId(),
          meta.status(),
          e.toString());
    }
  }

  private Map<String, Object> extra(TaskMessage m, String queue) {
    Map<String, Object> extra = new LinkedHashMap<>();
    if (m.headers().group() != null) {
      extra.put("group_id", m.headers().group());
    }
    if (m.headers().parentId() != null) {
      extra.put("parent_id", m.headers().parentId());
    }
    if (extended) {
      extra.put("name", m.task());
      extra.put("args", m.args());
      extra.put("kwargs", m.kwargs());
      extra.put("worker", worker);
      extra.put("retries", m.headers().retries());
      extra.put("queue", queue);
    }
    return extra;
  }

  private static String hostname() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "localhost";
    }
  }

  private static OffsetDateTime now() {
    return OffsetDateTime.now(ZoneOffset.UTC);
  }
}
