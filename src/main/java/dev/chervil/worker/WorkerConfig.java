package dev.chervil.worker;

import dev.chervil.limits.TimeLimits;
import java.time.Duration;
import java.util.List;

/**
 * How a worker consumes and settles. Concurrency is the pool's size; the broker prefetch is {@code
 * concurrency × prefetchMultiplier}, Celery's {@code worker_prefetch_multiplier}.
 *
 * @param acksLate ack after the outcome is decided instead of when the task starts (Celery's {@code
 *     task_acks_late}); a task's own option wins
 * @param rejectOnWorkerLost with acks_late, requeue a task whose process died instead of failing it
 *     with WorkerLostError (Celery's {@code task_reject_on_worker_lost})
 * @param deadLetterExchange where rejected messages go, declared with the queues; null for none
 * @param resultExtended store the task's name, args, kwargs, worker, retries and queue with its
 *     result (Celery's {@code result_extended}), so Python's {@code AsyncResult.name/args} work
 * @param resultExpires how long results live in the backend (Celery's {@code result_expires},
 *     default one day); zero keeps them forever
 */
public record WorkerConfig(
    List<String> queues,
    int prefetchMultiplier,
    boolean acksLate,
    boolean rejectOnWorkerLost,
    TimeLimits defaultLimits,
    String deadLetterExchange,
    Duration drainTimeout,
    boolean resultExtended,
    Duration resultExpires) {

  public WorkerConfig {
    queues = List.copyOf(queues == null || queues.isEmpty() ? List.of("celery") : queues);
    if (prefetchMultiplier < 1) {
      throw new IllegalArgumentException(
          "prefetch multiplier must be at least 1: " + prefetchMultiplier);
    }
    defaultLimits = defaultLimits == null ? TimeLimits.NONE : defaultLimits;
    drainTimeout = drainTimeout == null ? Duration.ofSeconds(30) : drainTimeout;
    resultExpires = resultExpires == null ? Duration.ofDays(1) : resultExpires;
    if (resultExpires.isNegative()) {
      throw new IllegalArgumentException("result expiry must not be negative: " + resultExpires);
    }
  }

  /** The pre-results constructor: Celery's result defaults (not extended, kept one day). */
  public WorkerConfig(
      List<String> queues,
      int prefetchMultiplier,
      boolean acksLate,
      boolean rejectOnWorkerLost,
      TimeLimits defaultLimits,
      String deadLetterExchange,
      Duration drainTimeout) {
    this(
        queues,
        prefetchMultiplier,
        acksLate,
        rejectOnWorkerLost,
        defaultLimits,
        deadLetterExchange,
        drainTimeout,
        false,
        null);
  }

  /** Celery's {@code result_extended} and {@code result_expires}. */
  public WorkerConfig withResults(boolean extended, Duration expires) {
    return new WorkerConfig(
        queues,
        prefetchMultiplier,
        acksLate,
        rejectOnWorkerLost,
        defaultLimits,
        deadLetterExchange,
        drainTimeout,
        extended,
        expires);
  }

  /** Celery's defaults: queue {@code celery}, prefetch multiplier 4, ack early, no limits. */
  public static WorkerConfig defaults() {
    return new WorkerConfig(List.of("celery"), 4, false, false, TimeLimits.NONE, null, null);
  }

  public WorkerConfig withQueues(List<String> q) {
    return new WorkerConfig(
        q,
        prefetchMultiplier,
        acksLate,
        rejectOnWorkerLost,
        defaultLimits,
        deadLetterExchange,
        drainTimeout,
        resultExtended,
        resultExpires);
  }

  public WorkerConfig withAcksLate(boolean late, boolean rejectLost) {
    return new WorkerConfig(
        queues,
        prefetchMultiplier,
        late,
        rejectLost,
        defaultLimits,
        deadLetterExchange,
        drainTimeout,
        resultExtended,
        resultExpires);
  }

  public WorkerConfig withDefaultLimits(TimeLimits limits) {
    return new WorkerConfig(
        queues,
        prefetchMultiplier,
        acksLate,
        rejectOnWorkerLost,
        limits,
        deadLetterExchange,
        drainTimeout,
        resultExtended,
        resultExpires);
  }

  public WorkerConfig withDeadLetterExchange(String dlx) {
    return new WorkerConfig(
        queues,
        prefetchMultiplier,
        acksLate,
        rejectOnWorkerLost,
        defaultLimits,
        dlx,
        drainTimeout,
        resultExtended,
        resultExpires);
  }
}
