package dev.chervil.worker;

import dev.chervil.broker.BrokerUrl;
import dev.chervil.broker.Transport;
import dev.chervil.control.ControlCommands;
import dev.chervil.control.NodeName;
import dev.chervil.control.NodeOptions;
import dev.chervil.control.Pidbox;
import dev.chervil.control.RevokedIds;
import dev.chervil.control.TaskBook;
import dev.chervil.control.TaskOverrides;
import dev.chervil.control.WorkerNode;
import dev.chervil.events.EventDispatcher;
import dev.chervil.events.LamportClock;
import dev.chervil.events.TaskEventSink;
import dev.chervil.events.TaskEvents;
import dev.chervil.events.WorkerHeartbeat;
import dev.chervil.pool.ExecutionPool;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskError;
import dev.chervil.task.TaskRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker as a node: its name, remote control (pidbox), events and heartbeat, revoked ids,
 * run-time rate and time limits — and the {@link WorkerNode} view remote control steers it through.
 * The worker's message path only calls {@link #events()}, {@link #isRevoked}, {@link
 * #terminatedSignal} and {@link #overrides()}; everything else stays here.
 *
 * <p>Lifecycle: {@link #start()} after the worker's consumers, {@link #close()} before the
 * transport closes (sends worker-offline).
 */
final class WorkerRemote implements WorkerNode, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkerRemote.class);

  /** What the adapter needs from the worker it describes. */
  interface Host {
    List<String> queues();

    void addQueue(String queue);

    boolean removeQueue(String queue);

    /** The pool has {@code delta} slots more (or fewer): move the consumers' prefetch with it. */
    void poolResized(int delta);

    int prefetchCount();

    void shutdownAsync();
  }

  private final String hostname;
  private final Transport transport;
  private final ExecutionPool pool;
  private final TaskRegistry registry;
  private final WorkerConfig config;
  private final Host host;
  private final long startedAt = System.currentTimeMillis();
  private final EventDispatcher dispatcher;
  private final TaskBook book;
  private final TaskEvents events;
  private final RevokedIds revoked;
  private final TaskOverrides overrides = new TaskOverrides();
  private final WorkerHeartbeat heartbeat;
  private final Pidbox pidbox;
  private final Map<String, LongAdder> totals = new ConcurrentHashMap<>();
  private final Map<String, Integer> terminated = new ConcurrentHashMap<>();

  WorkerRemote(
      Transport transport,
      ExecutionPool pool,
      TaskRegistry registry,
      WorkerConfig config,
      Host host) {
    NodeOptions node = config.node();
    this.hostname = NodeName.expand(node.hostname());
    this.transport = transport;
    this.pool = pool;
    this.registry = registry;
    this.config = config;
    this.host = host;
    LamportClock clock = new LamportClock();
    this.dispatcher = new EventDispatcher(transport, hostname, clock, node.taskEvents());
    this.book = new TaskBook(hostname);
    this.events = TaskEvents.all(book, new Totals(), new TaskEventSink(dispatcher));
    this.revoked = new RevokedIds(node.stateDb());
    this.heartbeat =
        new WorkerHeartbeat(
            dispatcher,
            () -> book.count(TaskBook.Phase.ACTIVE),
            () -> totals.values().stream().mapToLong(LongAdder::sum).sum());
    this.pidbox =
        new Pidbox(
            transport,
            hostname,
            clock,
            new ControlCommands(this, book, revoked, overrides, dispatcher, heartbeat));
  }

  void start() {
    pidbox.start();
    heartbeat.start();
    log.info(
        "event=node-started node={} task_events={} track_started={} statedb={}",
        hostname,
        dispatcher.taskEventsEnabled(),
        config.node().trackStarted(),
        config.node().stateDb());
  }

  @Override
  public void close() {
    pidbox.close();
    heartbeat.close(); // worker-offline
    dispatcher.close(); // sends what is queued, offline included
  }

  TaskEvents events() {
    return events;
  }

  TaskOverrides overrides() {
    return overrides;
  }

  boolean isRevoked(String taskId) {
    return revoked.contains(taskId);
  }

  /** The signal a remote terminate sent to {@code taskId}, once; null if none did. */
  Integer terminatedSignal(String taskId) {
    return terminated.remove(taskId);
  }

  boolean trackStarted(TaskDefinition task) {
    Boolean own = task.options().trackStarted();
    return own != null ? own : config.node().trackStarted();
  }

  /** STARTED's meta, as Celery stores it: {@code {pid, hostname}}. */
  Map<String, Object> startedMeta() {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("pid", ProcessHandle.current().pid());
    meta.put("hostname", hostname);
    return meta;
  }

  // ---- WorkerNode ----

  @Override
  public String hostname() {
    return hostname;
  }

  @Override
  public NodeStats stats() {
    Map<String, Long> byName = new TreeMap<>();
    totals.forEach((name, n) -> byName.put(name, n.sum()));
    return new NodeStats(
        byName,
        pool.kind(),
        pool.size(),
        List.copyOf(pool.ownedChildPids()),
        host.prefetchCount(),
        brokerInfo(),
        (System.currentTimeMillis() - startedAt) / 1000);
  }

  @Override
  public List<String> registered() {
    return registry.all().stream().map(TaskDefinition::name).sorted().toList();
  }

  @Override
  public List<String> activeQueues() {
    return host.queues();
  }

  @Override
  public void addConsumer(String queue) {
    host.addQueue(queue);
  }

  @Override
  public boolean cancelConsumer(String queue) {
    return host.removeQueue(queue);
  }

  @Override
  public Termination terminate(String taskId, int signal) {
    if (!book.isActive(taskId)) {
      return Termination.NOT_RUNNING;
    }
    terminated.put(taskId, signal);
    if (!pool.terminate(taskId, signal)) {
      terminated.remove(taskId);
      return Termination.NOT_RUNNING;
    }
    return "processes".equals(pool.kind())
        ? Termination.KILLED
        : Termination.CANCELLED_COOPERATIVELY;
  }

  @Override
  public String resizePool(int delta) {
    int size;
    try {
      size = pool.resize(delta);
    } catch (UnsupportedOperationException | IllegalArgumentException | IllegalStateException e) {
      log.info(
          "event=pool-resize-refused node={} kind={} delta={} reason=\"{}\"",
          hostname,
          pool.kind(),
          delta,
          e.getMessage());
      return e.getMessage();
    }
    host.poolResized(delta);
    log.info(
        "event=pool-resized node={} kind={} delta={} size={} prefetch={}",
        hostname,
        pool.kind(),
        delta,
        size,
        host.prefetchCount());
    return null;
  }

  @Override
  public void shutdown() {
    host.shutdownAsync();
  }

  @Override
  public Map<String, Object> conf() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("task_queues", config.queues());
    c.put("worker_prefetch_multiplier", config.prefetchMultiplier());
    c.put("task_acks_late", config.acksLate());
    c.put("task_reject_on_worker_lost", config.rejectOnWorkerLost());
    c.put(
        "task_soft_time_limit",
        config.defaultLimits().soft() == null
            ? null
            : config.defaultLimits().soft().toMillis() / 1000.0);
    c.put(
        "task_time_limit",
        config.defaultLimits().hard() == null
            ? null
            : config.defaultLimits().hard().toMillis() / 1000.0);
    c.put("task_track_started", config.node().trackStarted());
    c.put("worker_send_task_events", dispatcher.taskEventsEnabled());
    c.put(
        "worker_state_db",
        config.node().stateDb() == null ? null : config.node().stateDb().toString());
    c.put("worker_pool", pool.kind());
    c.put("worker_concurrency", pool.size());
    c.put("broker_url", transport.toString());
    return c;
  }

  private Map<String, Object> brokerInfo() {
    Map<String, Object> b = new LinkedHashMap<>();
    BrokerUrl url;
    try {
      url = BrokerUrl.parse(transport.toString());
    } catch (IllegalArgumentException e) {
      url = new BrokerUrl.Memory("");
    }
    switch (url) {
      case BrokerUrl.Amqp a -> {
        b.put("hostname", a.host());
        b.put("userid", a.username());
        b.put("virtual_host", a.virtualHost());
        b.put("port", a.port());
        b.put("transport", "amqp");
      }
      case BrokerUrl.Redis r -> {
        b.put("hostname", r.host());
        b.put("userid", r.username());
        b.put("virtual_host", Integer.toString(r.database()));
        b.put("port", r.port());
        b.put("transport", "redis");
      }
      case BrokerUrl.Memory m -> {
        b.put("hostname", "localhost");
        b.put("userid", null);
        b.put("virtual_host", "/");
        b.put("port", null);
        b.put("transport", "memory");
      }
    }
    b.put("insist", false);
    b.put("ssl", false);
    b.put("connect_timeout", 4);
    b.put("transport_options", Map.of());
    b.put("login_method", "PLAIN");
    b.put("uri_prefix", null);
    b.put("heartbeat", 60.0);
    b.put("failover_strategy", "round-robin");
    b.put("alternates", List.of());
    return b;
  }

  /** Celery's {@code stats["total"]}: tasks finished, by name. */
  private final class Totals implements TaskEvents {
    private void count(TaskMessage m) {
      totals.computeIfAbsent(m.task(), n -> new LongAdder()).increment();
    }

    @Override
    public void succeeded(TaskMessage m, Object result) {
      count(m);
    }

    @Override
    public void failed(TaskMessage m, TaskError error) {
      count(m);
    }

    @Override
    public void retried(TaskMessage m, TaskError error) {
      count(m);
    }

    @Override
    public void revoked(TaskMessage m, boolean wasTerminated, Integer signum, boolean expired) {
      count(m);
    }
  }
}
