package dev.chervil.backend;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * Celery's result meta dict: {@code {status, result, traceback, children, date_done, task_id}}. For
 * FAILURE, RETRY and REVOKED, {@code result} is the exception dict {@code {exc_type, exc_message,
 * exc_module}} (see {@link dev.chervil.task.TaskError#toMeta()}).
 */
public record ResultMeta(
    String taskId,
    TaskState status,
    Object result,
    String traceback,
    List<Object> children,
    OffsetDateTime dateDone) {

  public ResultMeta {
    children = dev.chervil.protocol.Values.list(children);
  }
}
