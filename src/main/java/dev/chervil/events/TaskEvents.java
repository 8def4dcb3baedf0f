package dev.chervil.events;

import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.TaskError;

/**
 * What the worker reports about each task it owns, at the moments Celery sends its task events.
 * Implementations must be cheap and must not throw: they run on the message's hot path. {@link
 * TaskEventSink} turns them into {@code task-*} events; {@code control.TaskBook} keeps the
 * active/reserved/scheduled lists remote control answers from.
 */
public interface TaskEvents {
  TaskEvents NONE = new TaskEvents() {};

  /** Accepted by the intake (Celery: task-received), about to wait for a slot or its ETA. */
  default void received(TaskMessage m, String queue) {}

  /** Held until its ETA (no event in Celery; remote control lists it as scheduled). */
  default void scheduled(TaskMessage m) {}

  /** Handed to the pool (task-started). */
  default void started(TaskMessage m, long pid) {}

  default void succeeded(TaskMessage m, Object result) {}

  default void failed(TaskMessage m, TaskError error) {}

  default void retried(TaskMessage m, TaskError error) {}

  /**
   * Not run, or stopped, because it was revoked or expired (task-revoked).
   *
   * @param signum the signal a terminate used, or null
   */
  default void revoked(TaskMessage m, boolean terminated, Integer signum, boolean expired) {}

  /** Rejected by the intake or requeued after a lost worker (task-rejected). */
  default void rejected(String taskId, boolean requeue) {}

  /** Reports to each of {@code sinks} in order. */
  static TaskEvents all(TaskEvents... sinks) {
    return new Fanout(java.util.List.of(sinks));
  }

  /** The composite {@link #all} builds. */
  record Fanout(java.util.List<TaskEvents> sinks) implements TaskEvents {
    @Override
    public void received(TaskMessage m, String queue) {
      sinks.forEach(s -> s.received(m, queue));
    }

    @Override
    public void scheduled(TaskMessage m) {
      sinks.forEach(s -> s.scheduled(m));
    }

    @Override
    public void started(TaskMessage m, long pid) {
      sinks.forEach(s -> s.started(m, pid));
    }

    @Override
    public void succeeded(TaskMessage m, Object result) {
      sinks.forEach(s -> s.succeeded(m, result));
    }

    @Override
    public void failed(TaskMessage m, TaskError error) {
      sinks.forEach(s -> s.failed(m, error));
    }

    @Override
    public void retried(TaskMessage m, TaskError error) {
      sinks.forEach(s -> s.retried(m, error));
    }

    @Override
    public void revoked(TaskMessage m, boolean terminated, Integer signum, boolean expired) {
      sinks.forEach(s -> s.revoked(m, terminated, signum, expired));
    }

    @Override
    public void rejected(String taskId, boolean requeue) {
      sinks.forEach(s -> s.rejected(taskId, requeue));
    }
  }
}
