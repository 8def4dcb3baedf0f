package dev.chervil.worker;

import dev.chervil.backend.ResultBackend;
import dev.chervil.broker.Delivery;
import dev.chervil.broker.Subscription;
import dev.chervil.broker.Transport;
import dev.chervil.canvas.BuiltinTasks;
import dev.chervil.limits.DeadlineScheduler;
import dev.chervil.pool.ExecutionPool;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskRegistry;
import dev.chervil.worker.Intake.Accepted;
import dev.chervil.worker.Intake.Rejected;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes task messages and runs them in a pool. The path of one message, top to bottom:
 *
 * <ol>
 *   <li>{@link #onDelivery} (transport thread): the {@link Intake} decodes and checks it; a bad
 *       message is rejected here, a good one becomes a {@link Request}, which owns its fate.
 *   <li>A future ETA: held by the {@link EtaScheduler}, unacked, then admitted when due.
 *   <li>{@link #admit}: handed to the pool's one queue. The broker's prefetch bounds what waits
 *       there, because an early-acked message is acked only as it starts ({@link Request#begin}).
 *   <li>The outcome, once it exists, is settled by the request on the settlement executor, so the
 *       slot is already running its next task.
 * </ol>
 *
 * <p>The worker owns the ETA timer, the settlement executor and its subscriptions; the transport,
 * pool and backend are given to it and it starts and closes them too, in order. Lifecycle: {@link
 * #start()} → {@link #drain(Duration)} (stop consuming, let running tasks end) → {@link #close()}.
 * All idempotent; {@link #close()} drains first when it was not done.
 */
public final class Worker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Worker.class);

  private final Transport transport;
  private final ExecutionPool pool;
  private final ResultBackend backend;
  private final WorkerConfig config;
  private final WorkerStats stats = new WorkerStats();
  private final Intake intake;
  private final Settlement settlement;
  private final EtaScheduler eta;
  private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
  // Cancelled by remote control's cancel_consumer: their unsettled deliveries stay ackable.
  private final List<Subscription> cancelled = new CopyOnWriteArrayList<>();
  private final WorkerRemote remote; // the node: remote control, events, revoked ids
  private final DeadlineScheduler rateLimited = new DeadlineScheduler("chervil-rate-limit");
  private final CountDownLatch closed = new CountDownLatch(1);
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
    backend.expireResultsAfter(config.resultExpires());
    this.remote = new WorkerRemote(transport, pool, registry, config, new RemoteHost());
    this.settlement =
        new Settlement(backend, StoreRetry.DEFAULT, transport, registry, stats, config, remote);
    this.eta = new EtaScheduler(subscriptions::get, this::admit);
  }

  public synchronized void start() {
    if (state != State.NEW) {
      return;
    }
    transport.start();
    backend.start();
    pool.start();
    int prefetch = pool.size() * config.prefetchMultiplier();
    for (String queue : config.queues()) {
      consume(queue);
    }
    remote.start();
    state = State.RUNNING;
    log.info(
        "event=worker-started node={} pid={} queues={} pool={} concurrency={} prefetch={}"
            + " acks_late={}",
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

  private void consume(String queue) {
    int prefetch = pool.size() * config.prefetchMultiplier();
    transport.declareQueue(config.queueSpec(queue));
    subscriptions.put(queue, transport.consume(queue, prefetch, this::onDelivery));
  }

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
    settlement.stopAdmitting();
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean poolIdle = pool.drain(timeout);
    boolean settled =
        settlement.awaitSettled(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    subscriptions.values().forEach(Subscription::close);
    cancelled.forEach(Subscription::close);
    boolean idle = poolIdle && settled;
    log.info("event=worker-drained idle={} stats={}", idle, stats.snapshot());
    return idle;
  }

  /**
   * Cold shutdown, Celery's second Ctrl-C: stops starting tasks and ends the running ones now (the
   * pool kills what it can and settles the rest as lost). With acks_late their messages are
   * requeued; acked early, WorkerLostError is stored and logged for each. May be called while
   * another thread waits in {@link #drain}; {@link #close()} still has to follow.
   */
  public void terminate() {
    log.warn("event=cold-shutdown running={} pool={}", settlement.unsettled(), pool.kind());
    subscriptions.values().forEach(Subscription::cancel);
    settlement.stopAdmitting();
    settlement.goCold();
    pool.close();
  }

  @Override
  public void close() {
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
    }
    drain(config.drainTimeout());
    if (settlement.unsettled() > 0) {
      terminate(); // what outlived the warm drain ends now, and is settled as a cold shutdown
    }
    synchronized (this) {
      state = State.CLOSED;
    }
    eta.close();
    rateLimited.close();
    // The pool first: what it still runs ends as an outcome, and the settlement settles it before
    // the backend and transport go.
    pool.close();
    settlement.close();
    remote.close(); // worker-offline, before the transport goes
    backend.close();
    transport.close();
    log.info("event=worker-closed node={}", remote.hostname());
    closed.countDown();
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
        Request request = new Request(a.delivery(), a.message(), a.task(), settlement);
        if (log.isInfoEnabled()) {
          log.info("event=task-received task={} name={}", request.id(), a.message().task());
        }
        remote.events().received(a.message(), delivery.queue());
        long wait = request.millisUntilEta();
        if (remote.isRevoked(request.id())) {
          request.revoke("revoked"); // never runs, never waits for a slot
        } else if (BuiltinTasks.IN_WORKER.contains(a.task().name())) {
          request.runInWorker(); // celery.group/chord/chain publish: they run here, not pooled
        } else if (wait > 0 && !request.isExpired()) {
          remote.events().scheduled(a.message());
          hold(request, wait);
        } else {
          admit(request);
        }
      }
    }
  }

  /**
   * An ETA in the future: held unacked until due, or — further away than the configured deferral,
   * where the broker can delay — handed back to the broker's delayed delivery, off the transport
   * thread (it waits for a confirm).
   */
  private void hold(Request request, long waitMillis) {
    Duration defer = config.etaDeferral();
    if (defer != null && transport.supportsDelayedDelivery() && waitMillis >= defer.toMillis()) {
      settlement
          .executor()
          .execute(
              () -> {
                if (!request.deferToBroker(Duration.ofMillis(waitMillis))) {
                  eta.hold(request, Math.max(1, request.millisUntilEta()));
                }
              });
      return;
    }
    eta.hold(request, waitMillis);
  }

  /**
   * Hands a request to the pool; its outcome is settled by the request itself. A task over its rate
   * limit (remote control's rate_limit) waits for its turn here, unacked like an ETA task, without
   * holding a slot.
   */
  private void admit(Request request) {
    long waitNanos = remote.overrides().admit(request.message().task());
    if (waitNanos > 0) {
      log.debug("event=task-rate-limited task={} wait_ms={}", request.id(), waitNanos / 1_000_000);
      rateLimited.schedule(Duration.ofNanos(waitNanos), () -> submit(request));
      return;
    }
    submit(request);
  }

  private void submit(Request request) {
    CompletableFuture<Outcome> outcome;
    try {
      outcome = pool.submit(request.toTaskRequest(), request::begin);
    } catch (IllegalStateException closing) {
      // Not acked: the message goes back to the broker when the subscription closes.
      log.warn("event=task-not-started task={} reason=\"{}\"", request.id(), closing.getMessage());
      return;
    }
    outcome.whenCompleteAsync(
        (o, error) ->
            request.complete(error == null ? o : new Outcome.Lost("pool error: " + error)),
        settlement.executor());
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
      settlement.results().failure(r.taskId(), props == null ? null : props.replyTo(), r.failure());
    }
    r.delivery().reject(false);
    remote.events().rejected(r.taskId(), false);
  }

  /**
   * What remote control may do to this worker (add_consumer, cancel_consumer, pool_grow and
   * pool_shrink, shutdown).
   */
  private final class RemoteHost implements WorkerRemote.Host {
    @Override
    public List<String> queues() {
      return List.copyOf(subscriptions.keySet());
    }

    @Override
    public void addQueue(String queue) {
      synchronized (Worker.this) {
        if (state == State.RUNNING && !subscriptions.containsKey(queue)) {
          consume(queue);
        }
      }
    }

    @Override
    public boolean removeQueue(String queue) {
      Subscription sub = subscriptions.remove(queue);
      if (sub != null) {
        sub.cancel(); // unsettled deliveries stay ackable; close() hands back the rest
        cancelled.add(sub);
      }
      return sub != null;
    }

    /**
     * As Celery's {@code _update_prefetch_count}: each subscription's prefetch moves by {@code
     * delta × multiplier}, keeping what ETA holds added on top. On AMQP this re-consumes.
     */
    @Override
    public void poolResized(int delta) {
      for (Subscription sub : subscriptions.values()) {
        sub.adjustPrefetch(delta * config.prefetchMultiplier());
      }
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
}
