package dev.chervil.worker;

import dev.chervil.backend.ResultBackend;
import dev.chervil.backend.ResultMeta;
import dev.chervil.backend.TaskState;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.TaskError;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes task states to the result backend in Celery's shape. A backend failure is logged, never
 * thrown: the message's settlement must not depend on the result store being up.
 */
final class ResultWriter {
  private static final Logger log = LoggerFactory.getLogger(ResultWriter.class);

  private final ResultBackend backend;

  ResultWriter(ResultBackend backend) {
    this.backend = backend;
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

  /** STARTED with Celery's meta {@code {pid, hostname}} (task_track_started). */
  void started(TaskMessage m, java.util.Map<String, Object> meta) {
    store(m, TaskState.STARTED, meta, null);
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
    String correlationId =
        m.properties() != null && m.properties().correlationId() != null
            ? m.properties().correlationId()
            : m.id();
    String replyTo = m.properties() == null ? null : m.properties().replyTo();
    write(new ResultMeta(m.id(), state, result, traceback, null, now()), replyTo, correlationId);
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

  private static OffsetDateTime now() {
    return OffsetDateTime.now(ZoneOffset.UTC);
  }
}
