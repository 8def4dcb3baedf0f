package dev.chervil.events;

import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.TaskError;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link TaskEvents} as Celery's {@code task-*} events, with the fields Celery's worker sends
 * (celery/worker/request.py, celery/app/trace.py). Each call does nothing but a flag check while
 * task events are off.
 */
public final class TaskEventSink implements TaskEvents {
  private final EventDispatcher events;
  private final Map<String, Long> startedNanos = new ConcurrentHashMap<>();

  public TaskEventSink(EventDispatcher events) {
    this.events = events;
  }

  @Override
  public void received(TaskMessage m, String queue) {
    if (!events.taskEventsEnabled()) {
      return;
    }
    Map<String, Object> f = uuid(m.id());
    f.put("name", m.task());
    f.put("args", m.headers().argsrepr() != null ? m.headers().argsrepr() : PyRepr.of(m.args()));
    f.put(
        "kwargs",
        m.headers().kwargsrepr() != null ? m.headers().kwargsrepr() : PyRepr.of(m.kwargs()));
    f.put("root_id", m.headers().rootId());
    f.put("parent_id", m.headers().parentId());
    f.put("retries", m.headers().retries());
    f.put("eta", m.headers().eta() == null ? null : m.headers().eta().toString());
    f.put("expires", m.headers().expires() == null ? null : m.headers().expires().toString());
    events.send("task-received", f);
  }

  @Override
  public void started(TaskMessage m, long pid) {
    if (!events.taskEventsEnabled()) {
      return;
    }
    startedNanos.put(m.id(), System.nanoTime());
    Map<String, Object> f = uuid(m.id());
    f.put("pid", pid);
    events.send("task-started", f);
  }

  @Override
  public void succeeded(TaskMessage m, Object result) {
    Long t0 = startedNanos.remove(m.id());
    if (!events.taskEventsEnabled()) {
      return;
    }
    Map<String, Object> f = uuid(m.id());
    f.put("result", PyRepr.of(result));
    f.put("runtime", t0 == null ? 0.0 : (System.nanoTime() - t0) / 1e9);
    events.send("task-succeeded", f);
  }

  @Override
  public void failed(TaskMessage m, TaskError error) {
    startedNanos.remove(m.id());
    withError("task-failed", m, error);
  }

  @Override
  public void retried(TaskMessage m, TaskError error) {
    startedNanos.remove(m.id());
    withError("task-retried", m, error);
  }

  @Override
  public void revoked(TaskMessage m, boolean terminated, Integer signum, boolean expired) {
    startedNanos.remove(m.id());
    if (!events.taskEventsEnabled()) {
      return;
    }
    Map<String, Object> f = uuid(m.id());
    f.put("terminated", terminated);
    f.put("signum", signum);
    f.put("expired", expired);
    events.send("task-revoked", f);
  }

  @Override
  public void rejected(String taskId, boolean requeue) {
    if (taskId != null) {
      startedNanos.remove(taskId);
    }
    if (!events.taskEventsEnabled() || taskId == null) {
      return;
    }
    Map<String, Object> f = uuid(taskId);
    f.put("requeue", requeue);
    events.send("task-rejected", f);
  }

  private void withError(String type, TaskMessage m, TaskError error) {
    if (!events.taskEventsEnabled()) {
      return;
    }
    Map<String, Object> f = uuid(m.id());
    f.put("exception", PyRepr.exception(error.type(), error.message()));
    f.put("traceback", error.traceback() == null ? "" : error.traceback());
    events.send(type, f);
  }

  private static Map<String, Object> uuid(String id) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("uuid", id);
    return f;
  }
}
