package dev.chervil.worker;

import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Celery's built-ins that publish ({@code celery.group}, {@code celery.chord}, {@code
 * celery.chain}; {@link dev.chervil.canvas.BuiltinTasks#IN_WORKER}), run in the worker process
 * because they need the transport, with Celery's semantics: {@code group(tasks, result, group_id,
 * partial_args)} sends each task with the partial arguments under the group id and returns the
 * result tuple it was given; {@code chord(header, body, partial_args)} sends its header joined to
 * its body; {@code chain} raises NotImplementedError, as in Celery ("chain is not a real task").
 */
final class PublishingBuiltins {
  private final Canvas canvas;

  PublishingBuiltins(Canvas canvas) {
    this.canvas = canvas;
  }

  Outcome run(TaskMessage m) {
    Map<String, Object> kw = named(m);
    List<Object> partial =
        kw.get("partial_args") instanceof List<?> l ? new ArrayList<>(l) : List.of();
    switch (m.task()) {
      case "celery.group" -> {
        if (!(kw.get("tasks") instanceof List<?> tasks)) {
          return invalid("celery.group without a list of tasks: " + kw.get("tasks"));
        }
        Map<String, Object> options = new LinkedHashMap<>();
        if (kw.get("group_id") != null) {
          options.put("task_id", kw.get("group_id"));
        }
        canvas.apply(m, signature("group", Map.of("tasks", tasks), options), partial, List.of());
        return new Outcome.Ok(kw.get("result"));
      }
      case "celery.chord" -> {
        if (kw.get("header") == null || !(kw.get("body") instanceof Map<?, ?>)) {
          return invalid("celery.chord without a header and a body: " + kw);
        }
        Map<String, Object> chord = new LinkedHashMap<>();
        chord.put("header", kw.get("header"));
        chord.put("body", kw.get("body"));
        canvas.apply(m, signature("chord", chord, Map.of()), partial, List.of());
        return new Outcome.Ok(null);
      }
      default -> {
        return new Outcome.Failed(
            new TaskError(
                "NotImplementedError", "chain is not a real task", "builtins", null, List.of()));
      }
    }
  }

  /** Keyword arguments, with positional ones named as Celery's task functions name them. */
  private static Map<String, Object> named(TaskMessage m) {
    Map<String, Object> kw = new LinkedHashMap<>(m.kwargs());
    List<String> names =
        switch (m.task()) {
          case "celery.group" -> List.of("tasks", "result", "group_id", "partial_args");
          case "celery.chord" -> List.of("header", "body", "partial_args");
          default -> List.of();
        };
    for (int i = 0; i < names.size() && i < m.args().size(); i++) {
      kw.putIfAbsent(names.get(i), m.args().get(i));
    }
    return kw;
  }

  private static Map<String, Object> signature(
      String type, Map<String, Object> kwargs, Map<String, Object> options) {
    Map<String, Object> sig = new LinkedHashMap<>();
    sig.put("task", "celery." + type);
    sig.put("args", List.of());
    sig.put("kwargs", kwargs);
    sig.put("options", options);
    sig.put("subtask_type", type);
    return sig;
  }

  private static Outcome invalid(String reason) {
    return new Outcome.Failed(new TaskError("ValueError", reason, "builtins", null, List.of()));
  }
}
