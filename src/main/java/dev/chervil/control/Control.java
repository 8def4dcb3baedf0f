package dev.chervil.control;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Celery's {@code app.control}: tells nodes to change. Each method waits up to the timeout and
 * returns {@code {node: reply}} for the nodes that answered.
 */
public final class Control {
  private final Mailbox mailbox;
  private final List<String> destination;
  private final Duration timeout;

  public Control(Mailbox mailbox, List<String> destination, Duration timeout) {
    this.mailbox = mailbox;
    this.destination = destination;
    this.timeout = timeout;
  }

  public Control destination(List<String> nodes) {
    return new Control(mailbox, nodes, timeout);
  }

  public Control timeout(Duration t) {
    return new Control(mailbox, destination, t);
  }

  public Inspect inspect() {
    return new Inspect(mailbox, destination, timeout);
  }

  public Map<String, Object> revoke(String taskId) {
    return revoke(List.of(taskId), false, null);
  }

  /**
   * @param signal a name ("KILL", "SIGTERM") or null for TERM; only with {@code terminate}
   */
  public Map<String, Object> revoke(List<String> taskIds, boolean terminate, String signal) {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("task_id", taskIds);
    args.put("terminate", terminate);
    args.put("signal", signal == null ? "SIGTERM" : signal);
    return call("revoke", args);
  }

  /** {@code rate} as Celery writes it ("10/m"); null or "0" removes the limit. */
  public Map<String, Object> rateLimit(String taskName, String rate) {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("task_name", taskName);
    args.put("rate_limit", rate);
    return call("rate_limit", args);
  }

  public Map<String, Object> timeLimit(String taskName, Double soft, Double hard) {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("task_name", taskName);
    args.put("soft", soft);
    args.put("hard", hard);
    return call("time_limit", args);
  }

  public Map<String, Object> enableEvents() {
    return call("enable_events", Map.of());
  }

  public Map<String, Object> disableEvents() {
    return call("disable_events", Map.of());
  }

  public Map<String, Object> addConsumer(String queue) {
    return call("add_consumer", Map.of("queue", queue));
  }

  public Map<String, Object> cancelConsumer(String queue) {
    return call("cancel_consumer", Map.of("queue", queue));
  }

  public Map<String, Object> poolGrow(int n) {
    return call("pool_grow", Map.of("n", n));
  }

  public Map<String, Object> poolShrink(int n) {
    return call("pool_shrink", Map.of("n", n));
  }

  public Map<String, Object> shutdown() {
    return call("shutdown", Map.of());
  }

  public Map<String, Object> call(String method, Map<String, Object> arguments) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map<String, Object> reply : mailbox.call(method, arguments, destination, timeout, null)) {
      out.putAll(reply);
    }
    return out;
  }
}
