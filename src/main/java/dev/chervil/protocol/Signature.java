package dev.chervil.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Celery signature as carried in a message's embed ({@code callbacks}, {@code errbacks}, {@code
 * chain}): {@code {"task", "args", "kwargs", "options", "immutable", "subtask_type"}}. Options
 * Celery fills in when it freezes a signature ({@code task_id}, {@code reply_to}, {@code queue},
 * {@code link}, {@code link_error}, {@code group_id}) are read from {@code options}.
 */
public record Signature(
    String task,
    List<Object> args,
    Map<String, Object> kwargs,
    Map<String, Object> options,
    boolean immutable,
    String subtaskType) {

  public Signature {
    args = Values.list(args);
    kwargs = Values.map(kwargs);
    options = Values.map(options);
  }

  public static Signature of(String task, List<Object> args) {
    return new Signature(task, args, Map.of(), Map.of(), false, null);
  }

  /** Reads a signature dict; a dict that is not one gives a message fit for a log line. */
  @SuppressWarnings("unchecked")
  public static Signature fromMap(Map<String, Object> m) throws MalformedMessageException {
    if (!(m.get("task") instanceof String task)) {
      throw new MalformedMessageException("signature without a task name: " + m);
    }
    Object args = m.get("args");
    Object kwargs = m.get("kwargs");
    Object options = m.get("options");
    if (args != null && !(args instanceof List)
        || kwargs != null && !(kwargs instanceof Map)
        || options != null && !(options instanceof Map)) {
      throw new MalformedMessageException(
          "signature of " + task + " has args/kwargs/options of the wrong type");
    }
    return new Signature(
        task,
        (List<Object>) args,
        (Map<String, Object>) kwargs,
        (Map<String, Object>) options,
        Boolean.TRUE.equals(m.get("immutable")),
        m.get("subtask_type") instanceof String s ? s : null);
  }

  /** The dict form Celery sends. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("task", task);
    m.put("args", args);
    m.put("kwargs", kwargs);
    m.put("options", options);
    m.put("subtask_type", subtaskType);
    m.put("immutable", immutable);
    return m;
  }

  /** The arguments for a call that passes {@code parentResult} first, unless immutable. */
  public List<Object> argsWith(Object parentResult) {
    if (immutable) {
      return args;
    }
    List<Object> all = new ArrayList<>(args.size() + 1);
    all.add(parentResult);
    all.addAll(args);
    return all;
  }

  public String option(String key) {
    Object v = options.get(key);
    return v == null ? null : v.toString();
  }

  /** Signatures listed under an option such as {@code link} or {@code link_error}. */
  @SuppressWarnings("unchecked")
  public List<Map<String, Object>> linked(String key) {
    Object v = options.get(key);
    if (v instanceof Map<?, ?> one) {
      return List.of((Map<String, Object>) one);
    }
    return v instanceof List<?> many ? (List<Map<String, Object>>) many : List.of();
  }
}
