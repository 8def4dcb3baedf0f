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
 */
public record WorkerConfig(
    List<String> queues,
    int prefetchMultiplier,
    boolean acksLate,
    boolean rejectOnWorkerLost,
    TimeLimits defaultLimits,
    String deadLetterExchange,
    Duration drainTimeout) {

  public WorkerConfig {
    queues = List.copyOf(queues == null || queues.isEmpty() ? List.of("celery") : queues);
    if (prefetchMultiplier < 1) {
      throw new IllegalArgumentException(
          "prefetch multiplier must be at least 1: " + prefetchMultiplier);
    }
    defaultLimits = defaultLimits == null ? TimeLimits.NONE : defaultLimits;
    drainTimeout = drainTimeout == null ? Duration.ofSeconds(30) : drainTimeout;
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
        drainTimeout);
  }

  public WorkerConfig withAcksLate(boolean late, boolean rejectLost) {
    return new WorkerConfig(
        queues,
        prefetchMultiplier,
        late,
        rejectLost,
        defaultLimits,
        deadLetterExchange,
        drainTimeout);
  }

  public WorkerConfig withDefaultLimits(TimeLimits limits) {
    return new WorkerConfig(
        queues,
        prefetchMultiplier,
        acksLate,
        rejectOnWorkerLost,
        limits,
        deadLetterExchange,
        drainTimeout);
  }

  public WorkerConfig withDeadLetterExchange(String dlx) {
    return new WorkerConfig(
        queues, prefetchMultiplier, acksLate, rejectOnWorkerLost, defaultLimits, dlx, drainTimeout);
  }
}
