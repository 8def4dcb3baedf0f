package dev.chervil.client;

import dev.chervil.backend.ResultMeta;
import dev.chervil.backend.TaskState;
import java.util.Map;

/** A task ended in FAILURE or REVOKED; carries Celery's exception type, message and traceback. */
public final class TaskFailedException extends Exception {
  private final String taskId;
  private final TaskState state;
  private final String excType;
  private final String excMessage;
  private final String remoteTraceback;

  TaskFailedException(ResultMeta meta) {
    this(meta, field(meta, "exc_type"), messageOf(meta));
  }

  private TaskFailedException(ResultMeta meta, String type, String message) {
    super("task " + meta.taskId() + " " + meta.status() + ": " + type + ": " + message);
    this.taskId = meta.taskId();
    this.state = meta.status();
    this.excType = type;
    this.excMessage = message;
    this.remoteTraceback = meta.traceback();
  }

  public String taskId() {
    return taskId;
  }

  public TaskState state() {
    return state;
  }

  /** The exception's type name as the worker reported it, e.g. {@code TimeLimitExceeded}. */
  public String excType() {
    return excType;
  }

  public String excMessage() {
    return excMessage;
  }

  public String remoteTraceback() {
    return remoteTraceback;
  }

  private static String field(ResultMeta meta, String key) {
    return meta.result() instanceof Map<?, ?> m && m.get(key) != null ? m.get(key).toString() : "";
  }

  /** Celery stores exc_message as a list of the exception's args; show them joined. */
  private static String messageOf(ResultMeta meta) {
    if (meta.result() instanceof Map<?, ?> m && m.get("exc_message") instanceof Iterable<?> args) {
      StringBuilder sb = new StringBuilder();
      for (Object a : args) {
        sb.append(sb.isEmpty() ? "" : ", ").append(a);
      }
      return sb.toString();
    }
    return field(meta, "exc_message");
  }
}
