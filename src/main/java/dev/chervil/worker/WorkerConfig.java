package dev.chervil.worker;

import dev.chervil.broker.QueueSpec;
import dev.chervil.control.NodeOptions;
import dev.chervil.limits.TimeLimits;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How a worker consumes and settles. Concurrency is the pool's size; the broker prefetch is {@code
 * concurrency × prefetchMultiplier}, Celery's {@code worker_prefetch_multiplier}. Start from {@link
 * #defaults()} and change what differs with the {@code with…} methods.
 *
 * @param acksLate ack after the outcome is decided instead of when the task starts (Celery's {@code
 *     task_acks_late}); a task's own option wins
 * @param rejectOnWorkerLost with acks_late, requeue a task whose process died instead of failing it
 *     with WorkerLostError (Celery's {@code task_reject_on_worker_lost})
 * @param deadLetterExchange where rejected messages go, declared with the queues; null for none
 * @param drainTimeout how long a warm shutdown waits for running tasks before it goes cold
 * @param queueArguments broker arguments every consumed queue is declared with ({@code
 *     x-max-priority}, {@code x-queue-type}, {@code x-delivery-limit}); see {@link #queueSpec}
 * @param resultExtended store the task's name, args, kwargs, worker, retries and queue with its
 *     result (Celery's {@code result_extended}), so Python's {@code AsyncResult.name/args} work
 * @param resultExpires how long results live in the backend (Celery's {@code result_expires},
 *     default one day); zero keeps them forever
 * @param node name, events, STARTED and revoked-id settings (remote control)
 * @param etaDeferral an ETA further away than this is not held unacked: the worker hands the
 *     message to the broker's delayed delivery and acks it, so RabbitMQ's {@code consumer_timeout}
 *     (30 min by default) cannot close the channel under it. Default 15 min, half the default
 *     timeout; null holds every ETA (as Celery 5.2 does). Only where the transport can delay.
 */
public record WorkerConfig(
    List<String> queues,
    int prefetchMultiplier,
    boolean acksLate,
    boolean rejectOnWorkerLost,
    TimeLimits defaultLimits,
    String deadLetterExchange,
    Duration drainTimeout,
    Map<String, Object> queueArguments,
    boolean resultExtended,
    Duration resultExpires,
    NodeOptions node,
    Duration etaDeferral) {

  /** Half of RabbitMQ's default {@code consumer_timeout}. */
  public static final Duration DEFAULT_ETA_DEFERRAL = Duration.ofMinutes(15);

  public WorkerConfig {
    queues = List.copyOf(queues == null || queues.isEmpty() ? List.of("celery") : queues);
    if (prefetchMultiplier < 1) {
      throw new IllegalArgumentException(
          "prefetch multiplier must be at least 1: " + prefetchMultiplier);
    }
    defaultLimits = defaultLimits == null ? TimeLimits.NONE : defaultLimits;
    drainTimeout = drainTimeout == null ? Duration.ofSeconds(30) : drainTimeout;
    queueArguments = queueArguments == null ? Map.of() : Map.copyOf(queueArguments);
    resultExpires = resultExpires == null ? Duration.ofDays(1) : resultExpires;
    if (resultExpires.isNegative()) {
      throw new IllegalArgumentException("result expiry must not be negative: " + resultExpires);
    }
    node = node == null ? NodeOptions.defaults() : node;
  }

  /** Celery's defaults: queue {@code celery}, prefetch multiplier 4, ack early, no limits. */
  public static WorkerConfig defaults() {
    return new WorkerConfig(
        List.of("celery"),
        4,
        false,
        false,
        TimeLimits.NONE,
        null,
        null,
        null,
        false,
        null,
        null,
        DEFAULT_ETA_DEFERRAL);
  }

  /** The declaration of a consumed queue: durable, with this worker's arguments and DLX. */
  public QueueSpec queueSpec(String queue) {
    return new QueueSpec(queue, true, deadLetterExchange).withArguments(queueArguments);
  }

  public WorkerConfig withQueues(List<String> q) {
    return new Change(this).queues(q).done();
  }

  public WorkerConfig withPrefetchMultiplier(int multiplier) {
    return new Change(this).prefetchMultiplier(multiplier).done();
  }

  public WorkerConfig withAcksLate(boolean late, boolean rejectLost) {
    return new Change(this).acksLate(late, rejectLost).done();
  }

  public WorkerConfig withDefaultLimits(TimeLimits limits) {
    return new Change(this).defaultLimits(limits).done();
  }

  public WorkerConfig withDeadLetterExchange(String dlx) {
    return new Change(this).deadLetterExchange(dlx).done();
  }

  public WorkerConfig withDrainTimeout(Duration timeout) {
    return new Change(this).drainTimeout(timeout).done();
  }

  public WorkerConfig withQueueArguments(Map<String, Object> args) {
    return new Change(this).queueArguments(args).done();
  }

  /** Celery's {@code result_extended} and {@code result_expires}. */
  public WorkerConfig withResults(boolean extended, Duration expires) {
    return new Change(this).results(extended, expires).done();
  }

  public WorkerConfig withNode(NodeOptions n) {
    return new Change(this).node(n).done();
  }

  /** See {@code etaDeferral}; null holds every ETA unacked. */
  public WorkerConfig withEtaDeferral(Duration after) {
    return new Change(this).etaDeferral(after).done();
  }

  /** One copy of the components, so each {@code with…} names only what it changes. */
  private static final class Change {
    private List<String> queues;
    private int prefetchMultiplier;
    private boolean acksLate;
    private boolean rejectOnWorkerLost;
    private TimeLimits defaultLimits;
    private String deadLetterExchange;
    private Duration drainTimeout;
    private Map<String, Object> queueArguments;
    private boolean resultExtended;
    private Duration resultExpires;
    private NodeOptions node;
    private Duration etaDeferral;

    Change(WorkerConfig c) {
      queues = c.queues;
      prefetchMultiplier = c.prefetchMultiplier;
      acksLate = c.acksLate;
      rejectOnWorkerLost = c.rejectOnWorkerLost;
      defaultLimits = c.defaultLimits;
      deadLetterExchange = c.deadLetterExchange;
      drainTimeout = c.drainTimeout;
      queueArguments = c.queueArguments;
      resultExtended = c.resultExtended;
      resultExpires = c.resultExpires;
      node = c.node;
      etaDeferral = c.etaDeferral;
    }

    Change etaDeferral(Duration v) {
      etaDeferral = v;
      return this;
    }

    Change node(NodeOptions v) {
      node = v;
      return this;
    }

    Change queues(List<String> v) {
      queues = v;
      return this;
    }

    Change prefetchMultiplier(int v) {
      prefetchMultiplier = v;
      return this;
    }

    Change acksLate(boolean late, boolean rejectLost) {
      acksLate = late;
      rejectOnWorkerLost = rejectLost;
      return this;
    }

    Change defaultLimits(TimeLimits v) {
      defaultLimits = v;
      return this;
    }

    Change deadLetterExchange(String v) {
      deadLetterExchange = v;
      return this;
    }

    Change drainTimeout(Duration v) {
      drainTimeout = v;
      return this;
    }

    Change queueArguments(Map<String, Object> v) {
      queueArguments = v;
      return this;
    }

    Change results(boolean extended, Duration expires) {
      resultExtended = extended;
      resultExpires = expires;
      return this;
    }

    WorkerConfig done() {
      return new WorkerConfig(
          queues,
          prefetchMultiplier,
          acksLate,
          rejectOnWorkerLost,
          defaultLimits,
          deadLetterExchange,
          drainTimeout,
          queueArguments,
          resultExtended,
          resultExpires,
          node,
          etaDeferral);
    }
  }
}
