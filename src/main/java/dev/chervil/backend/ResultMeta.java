package dev.chervil.backend;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * Celery's result meta dict: {@code {status, result, traceback, children, date_done, task_id}}. For
 * FAILURE, RETRY and REVOKED, {@code result} is the exception dict {@code {exc_type, exc_message,
 * exc_module}} (see {@link dev.chervil.task.TaskError#toMeta()}).
 *
 * @param extra the other fields Celery writes after these: {@code group_id}, {@code parent_id}, and
 *     with {@code result_extended} {@code name, args, kwargs, worker, retries, queue}
 */
public record ResultMeta(
    String taskId,
    TaskState status,
    Object result,
    String traceback,
    List<Object> children,
    OffsetDateTime dateDone,
    java.util.Map<String, Object> extra) {

  public ResultMeta {
    children = dev.chervil.protocol.Values.list(children);
    extra = dev.chervil.protocol.Values.map(extra);
  }

  public ResultMeta(
      String taskId,
      TaskState status,
      Object result,
      String traceback,
      List<Object> children,
      OffsetDateTime dateDone) {
    this(taskId, status, result, traceback, children, dateDone, null);
  }
}
