package dev.chervil.worker;

import dev.chervil.backend.ResultBackend;
import dev.chervil.backend.ResultMeta;
import dev.chervil.backend.TaskState;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.TaskError;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes task states to the result backend in Celery's shape. Every write is asynchronous: the
 * returned future completes when the backend has the state, or exceptionally when it could not be
 * stored (logged here, with the task id). The caller decides what a failed store means for its
 * message; nothing is thrown.
 */
final class ResultWriter {
  private static final Logger log = LoggerFactory.getLogger(ResultWriter.class);

  private final ResultBackend backend;

  ResultWriter(ResultBackend backend) {
    this.backend = backend;
  }

  CompletableFuture<Void> success(TaskMessage m, Object result) {
    return store(m, TaskState.SUCCESS, result, null);
  }

  CompletableFuture<Void> failure(TaskMessage m, TaskError error) {
    return store(m, TaskState.FAILURE, error.toMeta(), error.traceback());
  }

  CompletableFuture<Void> retry(TaskMessage m, TaskError cause) {
    return store(m, TaskState.RETRY, cause.toMeta(), cause.traceback());
  }

  CompletableFuture<Void> revoked(TaskMessage m, String reason) {
    return store(m, TaskState.REVOKED, revokedError(reason).toMeta(), null);
  }

  /** Celery's TaskRevokedError, as stored and as a chord member's part. */
  static TaskError revokedError(String reason) {
    return TaskError.celery("TaskRevokedError", reason);
  }

  /**
   * For a message rejected before it became a {@link TaskMessage}'s run: only id and route known.
   */
  CompletableFuture<Void> failure(String taskId, String replyTo, TaskError error) {
    return write(
        new ResultMeta(taskId, TaskState.FAILURE, error.toMeta(), error.traceback(), null, now()),
        replyTo,
        taskId);
  }

  private CompletableFuture<Void> store(
      TaskMessage m, TaskState state, Object result, String traceback) {
    String correlationId =
        m.properties() != null && m.properties().correlationId() != null
            ? m.properties().correlationId()
            : m.id();
    String replyTo = m.properties() == null ? null : m.properties().replyTo();
    return write(
        new ResultMeta(m.id(), state, result, traceback, null, now()), replyTo, correlationId);
  }

  private CompletableFuture<Void> write(ResultMeta meta, String replyTo, String correlationId) {
    CompletableFuture<Void> stored;
    try {
      stored = backend.storeAsync(meta, replyTo, correlationId);
    } catch (RuntimeException e) { // a backend that throws instead of failing its future
      stored = CompletableFuture.failedFuture(e);
    }
    return stored.whenComplete(
        (ok, e) -> {
          if (e != null) {
            log.error(
                "event=result-store-failed task={} state={} reason=\"{}\"",
                meta.taskId(),
                meta.status(),
                e instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                    ? c.getCause().toString()
                    : e.toString());
          }
        });
  }

  private static OffsetDateTime now() {
    return OffsetDateTime.now(ZoneOffset.UTC);
  }
}
