package dev.chervil.control;

import dev.chervil.events.TaskEvents;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.TaskError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tasks a worker holds right now and in which phase — Celery's {@code worker_state.requests},
 * {@code reserved_requests} and {@code active_requests} — kept from the worker's {@link TaskEvents}
 * so {@code active}, {@code reserved}, {@code scheduled} and {@code query_task} can answer in
 * Celery's shape ({@code Request.info()}).
 */
public final class TaskBook implements TaskEvents {
  /** Where a held task is. */
  public enum Phase {
    RESERVED,
    SCHEDULED,
    ACTIVE
  }

  /**
   * One held task. Its phase moves on in place: the slot that starts a task writes its own entry's
   * fields, taking no lock of the map and building no second entry (a {@code compute} per start
   * locked the map's bin and did both).
   */
  private static final class Entry {
    final TaskMessage message;
    final String queue;
    volatile Phase phase;
    volatile Double timeStart;
    volatile Long workerPid;

    Entry(TaskMessage message, String queue, Phase phase) {
      this.message = message;
      this.queue = queue;
      this.phase = phase;
    }
  }

  private final String hostname;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();

  public TaskBook(String hostname) {
    this.hostname = hostname;
  }

  @Override
  public void received(TaskMessage m, String queue) {
    entries.put(m.id(), new Entry(m, queue, Phase.RESERVED));
  }

  @Override
  public void scheduled(TaskMessage m) {
    Entry e = entries.get(m.id());
    if (e != null) {
      e.phase = Phase.SCHEDULED;
    }
  }

  @Override
  public void started(TaskMessage m, long pid) {
    Entry e = entries.get(m.id());
    if (e == null) { // started without a received (not a path the worker takes today)
      e = new Entry(m, null, Phase.ACTIVE);
      entries.put(m.id(), e);
    }
    e.timeStart = System.currentTimeMillis() / 1000.0;
    e.workerPid = pid;
    e.phase = Phase.ACTIVE; // last: who sees ACTIVE sees the start time and pid too
  }

  @Override
  public void succeeded(TaskMessage m, Object result) {
    entries.remove(m.id());
  }

  @Override
  public void failed(TaskMessage m, TaskError error) {
    entries.remove(m.id());
  }

  @Override
  public void retried(TaskMessage m, TaskError error) {
    entries.remove(m.id());
  }

  @Override
  public void revoked(TaskMessage m, boolean terminated, Integer signum, boolean expired) {
    entries.remove(m.id());
  }

  @Override
  public void rejected(String taskId, boolean requeue) {
    if (taskId != null) {
      entries.remove(taskId);
    }
  }

  public int count(Phase phase) {
    return (int) entries.values().stream().filter(e -> e.phase == phase).count();
  }

  public boolean isActive(String id) {
    Entry e = entries.get(id);
    return e != null && e.phase == Phase.ACTIVE;
  }

  /** {@code Request.info()} of each task in {@code phase}. */
  public List<Map<String, Object>> infos(Phase phase) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (e.phase == phase) {
        out.add(info(e));
      }
    }
    return out;
  }

  /** {@code scheduled}'s entries: {@code {eta, priority, request}}. */
  public List<Map<String, Object>> scheduledInfos() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (e.phase == Phase.SCHEDULED) {
        Map<String, Object> s = new LinkedHashMap<>();
        var eta = e.message.headers().eta();
        s.put("eta", eta == null ? null : eta.toString());
        s.put("priority", 6); // kombu's timer default priority
        s.put("request", info(e));
        out.add(s);
      }
    }
    return out;
  }

  /** {@code query_task}: {@code {id: [state, info]}} with state active, reserved or ready. */
  public Map<String, Object> query(List<String> ids) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (String id : ids) {
      Entry e = entries.get(id);
      if (e != null) {
        String state =
            switch (e.phase) {
              case ACTIVE -> "active";
              case RESERVED -> "reserved";
              case SCHEDULED -> "ready"; // Celery keeps ETA tasks outside reserved_requests
            };
        out.put(id, List.of(state, info(e)));
      }
    }
    return out;
  }

  private Map<String, Object> info(Entry e) {
    Phase phase = e.phase; // first: it is written last
    TaskMessage m = e.message;
    Map<String, Object> i = new LinkedHashMap<>();
    i.put("id", m.id());
    i.put("name", m.task());
    i.put("args", m.args());
    i.put("kwargs", m.kwargs());
    i.put("type", m.task());
    i.put("hostname", hostname);
    i.put("time_start", e.timeStart);
    i.put("acknowledged", phase == Phase.ACTIVE);
    Map<String, Object> delivery = new LinkedHashMap<>();
    delivery.put("exchange", "");
    delivery.put("routing_key", e.queue);
    delivery.put("priority", m.properties() == null ? null : m.properties().priority());
    delivery.put("redelivered", false);
    i.put("delivery_info", delivery);
    i.put("worker_pid", e.workerPid);
    return i;
  }
}
