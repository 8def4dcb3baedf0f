package dev.chervil.control;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Celery's {@code app.control.inspect()}: asks nodes what they hold. Each method returns {@code
 * {node: reply}} for the nodes that answered within the timeout (none: an empty map).
 */
public final class Inspect {
  private final Mailbox mailbox;
  private final List<String> destination;
  private final Duration timeout;

  public Inspect(Mailbox mailbox, List<String> destination, Duration timeout) {
    this.mailbox = mailbox;
    this.destination = destination;
    this.timeout = timeout;
  }

  /** The same questions, asked only of {@code nodes}. */
  public Inspect destination(List<String> nodes) {
    return new Inspect(mailbox, nodes, timeout);
  }

  public Inspect timeout(Duration t) {
    return new Inspect(mailbox, destination, t);
  }

  public Map<String, Object> ping() {
    return call("ping", Map.of());
  }

  public Map<String, Object> stats() {
    return call("stats", Map.of());
  }

  public Map<String, Object> active() {
    return call("active", Map.of());
  }

  public Map<String, Object> reserved() {
    return call("reserved", Map.of());
  }

  public Map<String, Object> scheduled() {
    return call("scheduled", Map.of());
  }

  public Map<String, Object> registered() {
    return call("registered", Map.of());
  }

  public Map<String, Object> activeQueues() {
    return call("active_queues", Map.of());
  }

  public Map<String, Object> revoked() {
    return call("revoked", Map.of());
  }

  public Map<String, Object> conf() {
    return call("conf", Map.of());
  }

  public Map<String, Object> queryTask(List<String> ids) {
    return call("query_task", Map.of("ids", ids));
  }

  /** Any command by name. */
  public Map<String, Object> call(String method, Map<String, Object> arguments) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map<String, Object> reply : mailbox.call(method, arguments, destination, timeout, null)) {
      out.putAll(reply);
    }
    return out;
  }
}
