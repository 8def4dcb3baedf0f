package dev.chervil.task;

import dev.chervil.limits.TimeLimits;
import java.util.List;
import java.util.Map;

/**
 * Everything a pool needs to run one task, in plain JSON-able values so it can cross into a child
 * JVM. Built by the worker from a validated message.
 *
 * @param body the message body exactly as it arrived (JSON {@code [args, kwargs, embed]}), or null.
 *     When present, a process pool hands these bytes to its child as they are and the child decodes
 *     the arguments where the task runs; {@code args} and {@code kwargs} may then be left empty by
 *     the caller. Not copied: the caller must not change the array afterwards.
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
    TimeLimits limits,
    byte[] body) {

  public TaskRequest {
    args = args == null ? List.of() : args;
    kwargs = kwargs == null ? Map.of() : kwargs;
    limits = limits == null ? TimeLimits.NONE : limits;
  }

  /** A request without the raw body: arguments travel as the decoded values. */
  public TaskRequest(
      String id,
      String name,
      List<Object> args,
      Map<String, Object> kwargs,
      int retries,
      String rootId,
      String parentId,
      String groupId,
      TimeLimits limits) {
    this(id, name, args, kwargs, retries, rootId, parentId, groupId, limits, null);
  }

  public static TaskRequest of(String id, String name, List<Object> args) {
    return new TaskRequest(id, name, args, Map.of(), 0, id, null, null, TimeLimits.NONE);
  }

  public TaskRequest withLimits(TimeLimits l) {
    return new TaskRequest(id, name, args, kwargs, retries, rootId, parentId, groupId, l, body);
  }

  /** The same request carrying the message body as it arrived (see {@code body}). */
  public TaskRequest withBody(byte[] b) {
    return new TaskRequest(id, name, args, kwargs, retries, rootId, parentId, groupId, limits, b);
  }
}
