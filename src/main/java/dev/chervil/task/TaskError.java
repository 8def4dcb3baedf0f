package dev.chervil.task;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An exception as it leaves a task: Celery's {@code {exc_type, exc_message, exc_module}} plus the
 * traceback text and the class lineage (fully qualified names, the class first), which autoretry
 * matches against because the exception itself may live in another JVM.
 */
public record TaskError(
    String type, String message, String module, String traceback, List<String> lineage) {

  public TaskError {
    lineage = lineage == null ? List.of() : List.copyOf(lineage);
  }

  public static TaskError of(Throwable t) {
    List<String> lineage = new ArrayList<>();
    for (Class<?> c = t.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      lineage.add(c.getName());
    }
    StringWriter trace = new StringWriter();
    t.printStackTrace(new PrintWriter(trace));
    Class<?> c = t.getClass();
    String type = c.getSimpleName().isEmpty() ? c.getName() : c.getSimpleName();
    return new TaskError(type, messageOf(t), c.getPackageName(), trace.toString(), lineage);
  }

  /** An error named the way Celery names its own (module {@code celery.exceptions}). */
  public static TaskError celery(String type, String message) {
    return new TaskError(type, message, "celery.exceptions", null, List.of());
  }

  public boolean isInstanceOf(Class<? extends Throwable> type) {
    return lineage.contains(type.getName());
  }

  /** Celery's exception dict, as stored in the result's {@code result} field. */
  public Map<String, Object> toMeta() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("exc_type", type);
    m.put("exc_message", message == null ? List.of() : List.of(message));
    m.put("exc_module", module);
    return m;
  }

  @Override
  public String toString() {
    return type + ": " + message;
  }

  private static String messageOf(Throwable t) {
    return t.getMessage() != null ? t.getMessage() : "";
  }
}
