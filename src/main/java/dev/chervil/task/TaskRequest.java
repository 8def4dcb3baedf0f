package dev.chervil.task;

import dev.chervil.limits.TimeLimits;
import java.util.List;
import java.util.Map;

/**
 * Everything a pool needs to run one task, in plain JSON-able values so it can cross into a child
 * JVM. Built by the worker from a validated message.
 */
public record TaskRequest(
    String id,
    String name,
    List<Object> args,
    Map<String, Object> kwargs,
    int retries,
    String rootId,
    String parentId,
    String groupId,
    TimeLimits limits) {

  public TaskRequest {
    args = args == null ? List.of() : args;
    kwargs = kwargs == null ? Map.of() : kwargs;
    limits = limits == null ? TimeLimits.NONE : limits;
  }

  public static TaskRequest of(String id, String name, List<Object> args) {
    return new TaskRequest(id, name, args, Map.of(), 0, id, null, null, TimeLimits.NONE);
  }

  public TaskRequest withLimits(TimeLimits l) {
    return new TaskRequest(id, name, args, kwargs, retries, rootId, parentId, groupId, l);
  }
}
