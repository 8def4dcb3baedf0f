package dev.chervil.worker;

import dev.chervil.control.NodeOptions;
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
 * @param node name, events, STARTED and revoked-id settings (remote control)
 */
public record WorkerConfig(
    List<String> queues,
    int prefetchMultiplier,
    boolean acksLate,
    boolean rejectOnWorkerLost,
    TimeLimits defaultLimits,
    String deadLetterExchange,
    Duration drainTimeout,
    NodeOptions node) {

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
        null);
  }

  public WorkerConfig {
    queues = List.copyOf(queues == null || queues.isEmpty() ? List.of("celery") : queues);
    if (prefetchMultiplier < 1) {
      throw new IllegalArgumentException(
          "prefetch multiplier must be at least 1: " + prefetchMultiplier);
    }
    defaultLimits = defaultLimits == null ? TimeLimits.NONE : defaultLimits;
    drainTimeout = drainTimeout == null ? Duration.ofSeconds(30) : drainTimeout;
    node = node == null ? NodeOptions.defaults() : node;
  }

  public WorkerConfig withNode(NodeOptions n) {
    return new WorkerConfig(
        queues,
        prefetchMultiplier,
        acksLate,
        rejectOnWorkerLost,
        defaultLimits,
        deadLetterExchange,
        drainTimeout,
        n);
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
        node);
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
        node);
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
        node);
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
        node);
  }
}
