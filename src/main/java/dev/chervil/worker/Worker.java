package dev.chervil.worker;

import dev.chervil.backend.ResultBackend;
import dev.chervil.broker.Delivery;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Subscription;
import dev.chervil.broker.Transport;
import dev.chervil.pool.ExecutionPool;
import dev.chervil.task.TaskRegistry;
import dev.chervil.worker.Intake.Accepted;
import dev.chervil.worker.Intake.Rejected;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes task messages and runs them in a pool: broker → intake → (ETA) → dispatcher → pool →
 * settler → result backend and ack. The worker owns the dispatcher, ETA timer and subscriptions;
 * the transport, pool and backend are given to it and it starts and closes them too, in order.
 *
 * <p>Lifecycle: {@link #start()} → {@link #drain(Duration)} (stop consuming, let running tasks end)
 * → {@link #close()}. All idempotent; {@link #close()} drains first when it was not done.
 */
public final class Worker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Worker.class);

  private final Transport transport;
  private final ExecutionPool pool;
  private final ResultBackend backend;
  private final WorkerConfig config;
  private final WorkerStats stats = new WorkerStats();
  private final Intake intake;
  private final ResultWriter results;
  private final OutcomeSettler settler;
  private final Dispatcher dispatcher;
  private final EtaScheduler eta;
  private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
  private final WorkerRemote remote; // node: remote control, events, revokes
  private final java.util.concurrent.CountDownLatch closed =
      new java.util.concurrent.CountDownLatch(1);
  private State state = State.NEW; // guarded by this

  private enum State {
    NEW,
    RUNNING,
    DRAINED,
    CLOSED
  }

  public Worker(
      Transport transport,
      ExecutionPool pool,
      TaskRegistry registry,
      ResultBackend backend,
      WorkerConfig config) {
    this.transport = transport;
    this.pool = pool;
    this.backend = backend;
    this.config = config;
    this.intake = new Intake(registry, backend.joinsChords());
    this.results = new ResultWriter(backend);
    this.remote = new WorkerRemote(transport, pool, registry, config, new RemoteHost());
    this.settler = new OutcomeSettler(transport, backend, results, config, stats, pool, remote);
    this.dispatcher = new Dispatcher(pool, settler, config.defaultLimits(), remote, results);
    this.eta = new EtaScheduler(subscriptions::get, dispatcher::enqueue);
  }

  public synchronized void start() {
    if (state != State.NEW) {
      return;
    }
    transport.start();
    backend.start();
    pool.start();
    dispatcher.start();
    int prefetch = pool.size() * config.prefetchMultiplier();
    for (String queue : config.queues()) {
      consumeQueue(queue);
    }
    remote.start();
    state = State.RUNNING;
    log.info(
        "event=worker-started node={} pid={} queues={} pool={} concurrency={} prefetch={} acks_late={}",
        remote.hostname(),
        ProcessHandle.current().pid(),
        config.queues(),
        pool.kind(),
        pool.size(),
        prefetch,
        config.acksLate());
  }

  /** The node name, {@code -n} expanded ({@code chervil@host}). */
  public String hostname() {
    return remote.hostname();
  }

  /** Blocks until {@link #close()} has finished (also one started by remote control). */
  public void awaitClosed() throws InterruptedException {
    closed.await();
  }

  private void consumeQueue(String queue) {
    int prefetch = pool.size() * config.prefetchMultiplier();
    transport.declareQueue(new QueueSpec(queue, true, config.deadLetterExchange()));
    subscriptions.put(queue, transport.consume(queue, prefetch, this::onDelivery));
  }

  /** What remote control may do to this worker (add_consumer, cancel_consumer, shutdown). */
  private final class RemoteHost implements WorkerRemote.Host {
    @Override
    public java.util.List<String> queues() {
      return java.util.List.copyOf(subscriptions.keySet());
    }

    @Override
    public void addQueue(String queue) {
      synchronized (Worker.this) {
        if (state == State.RUNNING && !subscriptions.containsKey(queue)) {
          consumeQueue(queue);
        }
      }
    }

    @Override
    public boolean removeQueue(String queue) {
      Subscription sub = subscriptions.remove(queue);
      if (sub != null) {
        sub.cancel(); // unsettled deliveries stay ackable; close() hands back the rest
        pendingClose.add(sub);
      }
      return sub != null;
    }

    @Override
    public int prefetchCount() {
      return subscriptions.values().stream().mapToInt(Subscription::prefetch).sum();
    }

    @Override
    public void shutdownAsync() {
      Thread.ofPlatform().name("chervil-remote-shutdown").daemon(false).start(Worker.this::close);
    }
  }

  private final java.util.List<Subscription> pendingClose =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  public ExecutionPool pool() {
    return pool;
  }

  public WorkerStats.Snapshot stats() {
    return stats.snapshot();
  }

  /** Stops consuming and waits up to {@code timeout} for running tasks; true if all ended. */
  public boolean drain(Duration timeout) {
    synchronized (this) {
      if (state != State.RUNNING) {
        return true;
      }
      state = State.DRAINED;
    }
    // Order matters: stop deliveries, stop starting tasks, let running ones end and be settled
    // (their deliveries must still be ackable), and only then close the subscriptions, which
    // hands unstarted and ETA-held messages back to the broker.
    subscriptions.values().forEach(Subscription::cancel);
    dispatcher.stopTaking();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (dispatcher.running() > 0 && System.nanoTime() < deadline) {
      pause();
    }
    boolean idle = dispatcher.running() == 0 && pool.drain(Duration.ZERO);
    subscriptions.values().forEach(Subscription::close);
    pendingClose.forEach(Subscription::close);
    log.info("event=worker-drained idle={} stats={}", idle, stats.snapshot());
    return idle;
  }

  @Override
  public void close() {
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
    }
    drain(config.drainTimeout());
    synchronized (this) {
      state = State.CLOSED;
    }
    eta.close();
    dispatcher.close();
    pool.close();
    remote.close(); // worker-offline, before the transport goes
    backend.close();
    transport.close();
    log.info("event=worker-closed node={}", remote.hostname());
    closed.countDown();
  }

  private static void pause() {
    try {
      Thread.sleep(5);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void onDelivery(Delivery delivery) {
    stats.received.increment();
    Intake.Verdict verdict;
    try {
      verdict = intake.examine(delivery);
    } catch (RuntimeException e) { // a bug of ours must not kill the consumer: reject, log, go on
      log.error("event=intake-failed queue={} reason={}", delivery.queue(), e.toString(), e);
      verdict = new Rejected(delivery, null, null, "internal error: " + e, null);
    }
    switch (verdict) {
      case Rejected r -> reject(r);
      case Accepted a -> {
        remote.events().received(a.message(), delivery.queue());
        if (remote.isRevoked(a.message().id())) {
          settler.revokeRevoked(a); // never runs, never waits for a slot
          return;
        }
        long wait = Expiry.millisUntilEta(a.message());
        if (wait > 0 && !Expiry.isExpired(a.message())) {
          remote.events().scheduled(a.message());
          eta.hold(a, wait);
        } else {
          dispatcher.enqueue(a);
        }
      }
    }
  }

  /**
   * Bad input: one log line naming the message and the reason, a FAILURE result when a caller may
   * be waiting, and a reject without requeue (dead-lettered where configured). Never thrown.
   */
  private void reject(Rejected r) {
    stats.rejected.increment();
    log.warn(
        "event=message-rejected queue={} task={} name={} dead_letter={} reason=\"{}\"",
        r.delivery().queue(),
        r.taskId(),
        r.taskName(),
        config.deadLetterExchange() != null,
        r.reason());
    if (r.failure() != null && r.taskId() != null) {
      var props = r.delivery().message().properties();
      results.failure(r.taskId(), props == null ? null : props.replyTo(), r.failure());
    }
    r.delivery().reject(false);
    remote.events().rejected(r.taskId(), false);
  }
}
