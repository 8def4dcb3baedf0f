package dev.chervil.worker;

import dev.chervil.limits.TimeLimits;
import dev.chervil.pool.ExecutionPool;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskRequest;
import dev.chervil.worker.Intake.Accepted;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds accepted tasks to the pool, one per free slot. A task waits here unacked until a slot is
 * free and is acked (without acks_late) only as it starts — as Celery does — so the broker prefetch
 * really bounds how much this worker holds.
 *
 * <p>Threads: {@link #enqueue} from transport and ETA threads; one dispatcher thread takes tasks
 * and submits them; outcomes are settled on a separate settler thread, so a slow result backend or
 * a kill's grace period never holds up the limit timer or the pool.
 */
final class Dispatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

  private final ExecutionPool pool;
  private final OutcomeSettler settler;
  private final TimeLimits defaultLimits;
  private final Semaphore slots;
  private final LinkedBlockingQueue<Accepted> ready = new LinkedBlockingQueue<>();
  private final ExecutorService settle =
      Executors.newSingleThreadExecutor(daemon("chervil-settler"));
  private final Thread thread;
  private volatile boolean open = true;
  private final WorkerRemote remote;
  private final ResultWriter results;
  // Tasks that waited out their rate limit: their start is already counted in the bucket.
  private final java.util.Set<Accepted> rateAdmitted =
      java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
  private final dev.chervil.limits.DeadlineScheduler rateTimer =
      new dev.chervil.limits.DeadlineScheduler("chervil-rate-limit");

  Dispatcher(
      ExecutionPool pool,
      OutcomeSettler settler,
      TimeLimits defaultLimits,
      WorkerRemote remote,
      ResultWriter results) {
    this.pool = pool;
    this.settler = settler;
    this.defaultLimits = defaultLimits;
    this.remote = remote;
    this.results = results;
    this.slots = new Semaphore(pool.size());
    this.thread = daemon("chervil-dispatcher").newThread(this::loop);
  }

  void start() {
    thread.start();
  }

  void enqueue(Accepted task) {
    ready.add(task);
  }

  /** Tasks submitted to the pool and not settled yet. */
  int running() {
    return pool.size() - slots.availablePermits();
  }

  /**
   * Stops starting tasks; those running are settled as they end. Tasks still waiting here were
   * never acked: closing the subscriptions hands them back to the broker.
   */
  void stopTaking() {
    open = false;
    thread.interrupt();
  }

  @Override
  public void close() {
    stopTaking();
    thread.interrupt();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    rateTimer.close();
    settle.shutdown();
    try {
      settle.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // What never started stays unacked; closing the consumer hands it back to the broker.
  }

  private void loop() {
    while (open) {
      try {
        slots.acquire();
        Accepted task;
        try {
          task = ready.take();
        } catch (InterruptedException e) {
          slots.release();
          throw e;
        }
        run(task);
      } catch (InterruptedException e) {
        if (!open) {
          return;
        }
      }
    }
  }

  private void run(Accepted a) {
    if (Expiry.isExpired(a.message())) {
      settle.execute(
          () -> {
            settler.revokeExpired(a);
            slots.release();
          });
      return;
    }
    if (remote.isRevoked(a.message().id())) { // revoked while it waited for its ETA or a slot
      settle.execute(
          () -> {
            settler.revokeRevoked(a);
            slots.release();
          });
      return;
    }
    if (!admittedByRateLimit(a)) {
      slots.release();
      return;
    }
    TaskRequest request = toRequest(a);
    CompletableFuture<Outcome> outcome;
    try {
      outcome = pool.submit(request);
    } catch (IllegalStateException closing) {
      // Not acked yet: the message goes back to the broker when the subscription closes.
      slots.release();
      log.warn("event=task-not-started task={} reason=\"{}\"", request.id(), closing.getMessage());
      return;
    }
    if (!settler.acksLate(a)) {
      a.delivery().ack(); // acked only once the pool has taken it, so a refused task is not lost
    }
    remote.events().started(a.message(), ProcessHandle.current().pid());
    if (remote.trackStarted(a.task())) {
      settle.execute(() -> results.started(a.message(), remote.startedMeta()));
    }
    outcome.whenCompleteAsync(
        (o, error) -> {
          try {
            settler.settle(a, error == null ? o : new Outcome.Lost("pool error: " + error));
          } catch (RuntimeException e) {
            log.error("event=settle-failed task={} reason={}", request.id(), e.toString(), e);
          } finally {
            slots.release();
          }
        },
        settle);
  }

  /**
   * Rate limit (remote control's rate_limit): true if the task may start now; else it is held for
   * its turn (unacked, like an ETA task) and comes back through {@link #enqueue}.
   */
  private boolean admittedByRateLimit(Accepted a) {
    synchronized (rateAdmitted) {
      if (rateAdmitted.remove(a)) {
        return true;
      }
    }
    long waitNanos = remote.overrides().admit(a.message().task());
    if (waitNanos <= 0) {
      return true;
    }
    synchronized (rateAdmitted) {
      rateAdmitted.add(a);
    }
    log.debug(
        "event=task-rate-limited task={} name={} wait_ms={}",
        a.message().id(),
        a.message().task(),
        waitNanos / 1_000_000);
    rateTimer.schedule(java.time.Duration.ofNanos(waitNanos), () -> enqueue(a));
    return false;
  }

  private TaskRequest toRequest(Accepted a) {
    TaskMessage m = a.message();
    TimeLimits limits =
        TimeLimits.ofSeconds(
                m.headers().timelimit().softSeconds(), m.headers().timelimit().hardSeconds())
            .orElse(remote.overrides().limits(m.task()))
            .orElse(a.task().options().limits())
            .orElse(defaultLimits);
    return new TaskRequest(
        m.id(),
        m.task(),
        m.args(),
        m.kwargs(),
        m.headers().retries(),
        m.headers().rootId(),
        m.headers().parentId(),
        m.headers().group(),
        limits);
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
