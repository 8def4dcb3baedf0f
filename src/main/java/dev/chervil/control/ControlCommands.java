package dev.chervil.control;

import dev.chervil.control.TaskBook.Phase;
import dev.chervil.control.WorkerNode.NodeStats;
import dev.chervil.events.EventDispatcher;
import dev.chervil.events.WorkerHeartbeat;
import dev.chervil.limits.TimeLimits;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Celery's remote control commands (celery/worker/control.py) with its reply shapes: {@code {"ok":
 * text}}, {@code {"error": text}}, or the inspect command's data. {@link #handle} never throws: an
 * unknown command or a bad argument is an {@code error} reply.
 */
public final class ControlCommands {
  private static final Logger log = LoggerFactory.getLogger(ControlCommands.class);

  private final WorkerNode node;
  private final TaskBook book;
  private final RevokedIds revoked;
  private final TaskOverrides overrides;
  private final EventDispatcher events;
  private final WorkerHeartbeat heartbeat;
  private final Map<String, Function<Map<String, Object>, Object>> commands = new LinkedHashMap<>();

  public ControlCommands(
      WorkerNode node,
      TaskBook book,
      RevokedIds revoked,
      TaskOverrides overrides,
      EventDispatcher events,
      WorkerHeartbeat heartbeat) {
    this.node = node;
    this.book = book;
    this.revoked = revoked;
    this.overrides = overrides;
    this.events = events;
    this.heartbeat = heartbeat;
    register();
  }

  /** The commands this worker answers, for {@code report} and the docs. */
  public List<String> names() {
    return List.copyOf(commands.keySet());
  }

  public Object handle(String method, Map<String, Object> arguments) {
    Function<Map<String, Object>, Object> command = commands.get(method);
    if (command == null) {
      return error("unknown control command '" + method + "' (this is a Chervil worker)");
    }
    try {
      return command.apply(arguments == null ? Map.of() : arguments);
    } catch (RuntimeException e) {
      log.warn("event=control-command-failed method={} reason=\"{}\"", method, e.toString());
      return error(method + ": " + e.getMessage());
    }
  }

  private void register() {
    commands.put("ping", a -> ok("pong"));
    commands.put("stats", a -> stats());
    commands.put("active", a -> book.infos(Phase.ACTIVE));
    commands.put("reserved", a -> book.infos(Phase.RESERVED));
    commands.put("scheduled", a -> book.scheduledInfos());
    commands.put("registered", a -> registered());
    commands.put("active_queues", a -> activeQueues());
    commands.put("revoked", a -> revoked.ids());
    commands.put("conf", a -> node.conf());
    commands.put("report", a -> ok(report()));
    commands.put("clock", a -> Map.of("clock", events.clock().value()));
    commands.put("query_task", a -> book.query(ids(a.get("ids"))));
    commands.put("revoke", this::revoke);
    commands.put(
        "terminate",
        a -> {
          Map<String, Object> args = new LinkedHashMap<>(a);
          args.put("terminate", true);
          return revoke(args);
        });
    commands.put(
        "revoke_by_stamped_headers",
        a ->
            error(
                "revoke_by_stamped_headers is not supported by Chervil (it needs Celery 5.3's"
                    + " stamping); revoke by task id instead"));
    commands.put(
        "enable_events",
        a -> ok(events.enableTaskEvents() ? "task events enabled" : "task events already enabled"));
    commands.put(
        "disable_events",
        a ->
            ok(
                events.disableTaskEvents()
                    ? "task events disabled"
                    : "task events already disabled"));
    commands.put(
        "heartbeat",
        a -> {
          heartbeat.beat();
          return null; // Celery's handler returns None
        });
    commands.put("rate_limit", this::rateLimit);
    commands.put("time_limit", this::timeLimit);
    commands.put(
        "add_consumer",
        a -> {
          String queue = required(a, "queue");
          node.addConsumer(queue);
          return ok("add consumer " + queue);
        });
    commands.put(
        "cancel_consumer",
        a -> {
          String queue = required(a, "queue");
          node.cancelConsumer(queue);
          return ok("no longer consuming from " + queue);
        });
    commands.put("pool_grow", a -> resize(+count(a)));
    commands.put("pool_shrink", a -> resize(-count(a)));
    commands.put(
        "shutdown",
        a -> {
          log.warn("event=shutdown-requested node={} reason=remote-control", node.hostname());
          node.shutdown();
          return ok("shutdown started");
        });
  }

  private Object revoke(Map<String, Object> a) {
    List<String> ids = ids(a.get("task_id"));
    revoked.addAll(ids);
    boolean terminate = truthy(a.get("terminate"));
    if (!terminate) {
      log.info("event=tasks-revoked node={} tasks={}", node.hostname(), ids);
      return ok("tasks " + String.join(", ", ids) + " flagged as revoked");
    }
    int signal = Signals.number(a.get("signal"));
    List<String> killed = new ArrayList<>();
    List<String> cooperative = new ArrayList<>();
    for (String id : ids) {
      switch (node.terminate(id, signal)) {
        case KILLED -> killed.add(id);
        case CANCELLED_COOPERATIVELY -> cooperative.add(id);
        case NOT_RUNNING -> {}
      }
    }
    log.info(
        "event=tasks-terminated node={} signal={} killed={} cancelled={}",
        node.hostname(),
        signal,
        killed,
        cooperative);
    if (killed.isEmpty() && cooperative.isEmpty()) {
      return ok("terminate: tasks unknown");
    }
    List<String> all = new ArrayList<>(killed);
    all.addAll(cooperative);
    String text = "terminate: " + String.join(", ", all);
    if (!cooperative.isEmpty()) {
      text +=
          " (thread pool: "
              + String.join(", ", cooperative)
              + " could only be cancelled cooperatively — interrupted and cancel hooks run; the"
              + " signal is not sent)";
    }
    return ok(text);
  }

  private Object rateLimit(Map<String, Object> a) {
    String task = required(a, "task_name");
    Object rate = a.get("rate_limit");
    if (!node.registered().contains(task)) {
      return error("unknown task");
    }
    try {
      overrides.rateLimit(task, rate == null ? null : rate.toString());
    } catch (IllegalArgumentException e) {
      return error("Invalid rate limit string: " + e.getMessage());
    }
    log.info("event=rate-limit-set node={} name={} rate_limit={}", node.hostname(), task, rate);
    if (overrides.rateLimitOf(task) == null) {
      return ok("rate limit disabled successfully");
    }
    return ok("new rate limit set successfully");
  }

  private Object timeLimit(Map<String, Object> a) {
    String task = required(a, "task_name");
    if (!node.registered().contains(task)) {
      return error("unknown task");
    }
    Double soft = number(a.get("soft"));
    Double hard = number(a.get("hard"));
    overrides.timeLimits(task, TimeLimits.ofSeconds(soft, hard));
    log.info(
        "event=time-limit-set node={} name={} soft={} hard={}", node.hostname(), task, soft, hard);
    return ok("time limits set successfully");
  }

  private Object resize(int delta) {
    log.info("event=pool-resize-requested node={} delta={}", node.hostname(), delta);
    String why = node.resizePool(delta);
    return why == null ? ok(delta > 0 ? "pool will grow" : "pool will shrink") : error(why);
  }

  private Map<String, Object> stats() {
    NodeStats s = node.stats();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("total", s.totals());
    out.put("pid", ProcessHandle.current().pid());
    out.put("clock", String.valueOf(events.clock().value()));
    out.put("uptime", s.uptimeSeconds());
    Map<String, Object> pool = new LinkedHashMap<>();
    pool.put("implementation", "chervil:" + s.poolKind());
    pool.put("max-concurrency", s.poolSize());
    pool.put("processes", s.poolProcesses());
    pool.put("max-tasks-per-child", "N/A");
    pool.put("put-guarded-by-semaphore", false);
    pool.put("timeouts", List.of(0, 0));
    out.put("pool", pool);
    out.put("broker", s.broker());
    out.put("prefetch_count", s.prefetchCount());
    out.put("rusage", Rusage.self());
    return out;
  }

  private List<String> registered() {
    List<String> out = new ArrayList<>();
    for (String name : node.registered()) {
      String rate = overrides.rateLimitOf(name);
      out.add(rate == null ? name : name + " [rate_limit=" + rate + "]");
    }
    return out;
  }

  private List<Map<String, Object>> activeQueues() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String q : node.activeQueues()) {
      // kombu's Queue.as_dict(recurse=True), as Celery's worker answers it.
      Map<String, Object> exchange = new LinkedHashMap<>();
      exchange.put("name", q);
      exchange.put("type", "direct");
      exchange.put("arguments", null);
      exchange.put("durable", true);
      exchange.put("passive", false);
      exchange.put("auto_delete", false);
      exchange.put("delivery_mode", null);
      exchange.put("no_declare", false);
      Map<String, Object> queue = new LinkedHashMap<>();
      queue.put("name", q);
      queue.put("exchange", exchange);
      queue.put("routing_key", q);
      queue.put("queue_arguments", null);
      queue.put("binding_arguments", null);
      queue.put("consumer_arguments", null);
      queue.put("durable", true);
      queue.put("exclusive", false);
      queue.put("auto_delete", false);
      queue.put("no_ack", false);
      queue.put("alias", null);
      queue.put("bindings", List.of());
      queue.put("no_declare", null);
      queue.put("expires", null);
      queue.put("message_ttl", null);
      queue.put("max_length", null);
      queue.put("max_length_bytes", null);
      queue.put("max_priority", null);
      out.add(queue);
    }
    return out;
  }

  private String report() {
    return "software -> "
        + WorkerHeartbeat.SW_IDENT
        + ":"
        + WorkerHeartbeat.SW_VER
        + " java:"
        + Runtime.version()
        + "\nplatform -> system:Linux\nnode -> "
        + node.hostname()
        + "\ncommands -> "
        + String.join(", ", names());
  }

  static Map<String, Object> ok(Object value) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ok", value);
    return m;
  }

  static Map<String, Object> error(Object value) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error", value);
    return m;
  }

  private static List<String> ids(Object v) {
    if (v == null) {
      return List.of();
    }
    if (v instanceof Collection<?> c) {
      return c.stream().map(String::valueOf).toList();
    }
    return List.of(v.toString());
  }

  private static String required(Map<String, Object> a, String key) {
    Object v = a.get(key);
    if (v == null || v.toString().isBlank()) {
      throw new IllegalArgumentException("missing argument '" + key + "'");
    }
    return v.toString();
  }

  /** pool_grow's and pool_shrink's {@code n}: 1 if absent, as Celery's; never negative. */
  private static int count(Map<String, Object> a) {
    Object v = a.get("n");
    int n = v == null ? 1 : (int) Double.parseDouble(v.toString());
    if (n < 0) {
      throw new IllegalArgumentException("n must not be negative: " + v);
    }
    return n;
  }

  private static Double number(Object v) {
    return v == null ? null : Double.valueOf(v.toString());
  }

  private static boolean truthy(Object v) {
    return v instanceof Boolean b
        ? b
        : v != null && List.of("1", "true", "yes", "on").contains(v.toString().toLowerCase());
  }
}
