package dev.chervil.worker;

import dev.chervil.backend.TaskState;
import dev.chervil.broker.Delivery;
import dev.chervil.limits.TimeLimits;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.protocol.TaskHeaders;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskError;
import dev.chervil.task.TaskRequest;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One accepted message and its fate, as Celery's {@code Request}: the only place that acks,
 * rejects, requeues or publishes a retry for it. The policy (README "Message settlement"):
 *
 * <ul>
 *   <li>{@link #begin()} — the task starts (on the pool's slot): a message whose channel is gone is
 *       dropped (the broker delivers it again), an expired one is REVOKED and acked, a draining
 *       worker leaves it unacked for the broker; otherwise it is acked now unless acks_late.
 *   <li>ok, failed, soft and hard timeouts: result stored, then acked (acks_late), Celery's {@code
 *       task_acks_on_failure_or_timeout}. With acks_late a result that cannot be stored requeues
 *       the message instead, so the outcome is not lost.
 *   <li>lost (the child died): with acks_late and reject_on_worker_lost requeued, no result;
 *       otherwise WorkerLostError stored and acked.
 *   <li>retry: a copy with {@code retries + 1} and an ETA is published; only once the broker
 *       confirmed it is the original acked. A copy that cannot be published requeues the original
 *       (acks_late) or stores a FAILURE naming why (acked early).
 * </ul>
 *
 * <p>Threads: {@link #begin()} runs on the slot that takes the task, {@link #complete} on the
 * settlement executor, the continuations of a store or publish on whichever thread completes them.
 * Ack and reject are idempotent: the first settlement wins, a later one is ignored.
 */
final class Request {
  private static final Logger log = LoggerFactory.getLogger(Request.class);

  private final Delivery delivery;
  private final TaskMessage message;
  private final TaskDefinition task;
  private final Settlement env;
  private final boolean acksLate;
  private final AtomicBoolean settled = new AtomicBoolean(); // acked or rejected
  private final AtomicBoolean completed = new AtomicBoolean(); // an outcome was taken
  private volatile long startedNanos; // 0 until begin() admitted the task

  Request(Delivery delivery, TaskMessage message, TaskDefinition task, Settlement env) {
    this.delivery = delivery;
    this.message = message;
    this.task = task;
    this.env = env;
    Boolean own = task.options().acksLate();
    this.acksLate = own != null ? own : env.config().acksLate();
  }

  String id() {
    return message.id();
  }

  TaskMessage message() {
    return message;
  }

  Delivery delivery() {
    return delivery;
  }

  /**
   * What the pool runs: plain values, limits resolved (the message's, the task's, the worker's).
   */
  TaskRequest toTaskRequest() {
    TaskHeaders h = message.headers();
    TimeLimits limits =
        TimeLimits.ofSeconds(h.timelimit().softSeconds(), h.timelimit().hardSeconds())
            .orElse(env.remote().overrides().limits(message.task())) // remote time_limit
            .orElse(task.options().limits())
            .orElse(env.config().defaultLimits());
    return new TaskRequest(
        message.id(),
        message.task(),
        message.args(),
        message.kwargs(),
        h.retries(),
        h.rootId(),
        h.parentId(),
        h.group(),
        limits,
        // The body as it arrived: a child JVM decodes its arguments itself, where the task runs.
        // A compressed body was inflated by the codec; the child gets the decoded values then.
        delivery.message().headers().get("compression") == null ? delivery.message().body() : null);
  }

  /** Milliseconds until the ETA (0 when due or none), saturating instead of overflowing. */
  long millisUntilEta() {
    return Expiry.millisUntilEta(message);
  }

  boolean isExpired() {
    return Expiry.isExpired(message);
  }

  /**
   * The task is about to start on a slot. Expiry and a lost channel are checked here, once, where
   * it decides whether the task runs.
   *
   * @return whether the slot may run it
   */
  boolean begin() {
    if (delivery.isStale()) {
      // The channel it came on is gone: the broker hands it out again, so running this copy would
      // run it twice (and its ack could not be sent anyway).
      log.info("event=task-dropped task={} name={} reason=channel-lost", id(), message.task());
      env.remote().events().rejected(id(), true);
      return false;
    }
    if (!env.admitting()) {
      return false; // draining: unacked, the broker gets it back when the subscription closes
    }
    if (isExpired()) {
      revokeExpired();
      return false;
    }
    if (env.remote().isRevoked(id())) { // revoked while it waited for its ETA or a slot
      revoke("revoked");
      return false;
    }
    if (!acksLate) {
      acknowledge();
    }
    env.started();
    startedNanos = System.nanoTime();
    log.debug("event=task-started task={} name={}", id(), message.task());
    env.remote().events().started(message, ProcessHandle.current().pid());
    if (env.remote().trackStarted(task)) {
      env.results().started(message, delivery.queue(), env.remote().startedMeta());
    }
    return true;
  }

  /**
   * Celery's publishing built-ins ({@code celery.group}, {@code celery.chord}, {@code
   * celery.chain}) run on the calling thread, in the worker process, because what they do is
   * publish; then they are settled like any task.
   */
  void runInWorker() {
    if (begin()) {
      complete(env.builtins().run(message));
    }
  }

  /**
   * A far ETA: the message goes back to the broker through its delayed delivery, and only once the
   * broker has the copy is this one acked — a crash in between duplicates rather than loses it. The
   * copy comes back at the ETA (whole seconds, so up to a second early: then it is held as a near
   * ETA), so nothing runs early and nothing is held unacked for long.
   *
   * @return false if the broker refused the copy (the caller holds the message instead)
   */
  boolean deferToBroker(Duration delay) {
    try {
      env.transport().publishDelayed(delay, delivery.queue(), delivery.message());
    } catch (RuntimeException e) {
      log.warn(
          "event=task-eta-defer-failed task={} name={} reason=\"{}\"", id(), message.task(), e);
      return false;
    }
    log.info(
        "event=task-eta-deferred task={} name={} delay_ms={}",
        id(),
        message.task(),
        delay.toMillis());
    acknowledge();
    return true;
  }

  /** An expired message: REVOKED without running, then acked (as Celery does). */
  void revokeExpired() {
    log.info(
        "event=task-expired task={} name={} expires={}",
        id(),
        message.task(),
        message.headers().expires());
    env.remote().events().revoked(message, false, null, true);
    revokeUnstarted("expired");
  }

  /** Revoked by remote control before it started: REVOKED without running, then acked. */
  void revoke(String reason) {
    log.info("event=task-revoked task={} name={}", id(), message.task());
    env.remote().events().revoked(message, false, null, false);
    revokeUnstarted(reason);
  }

  private void revokeUnstarted(String reason) {
    env.stats().revoked.increment();
    env.chords().partDone(message, TaskState.REVOKED, ResultWriter.revokedError(reason).toMeta());
    CompletableFuture<Void> stored = env.results().revoked(message, delivery.queue(), reason);
    stored.whenComplete((ok, e) -> acknowledge());
  }

  /**
   * Settles the outcome the pool produced; only the first one counts. Ignored when {@link #begin()}
   * did not admit the task (then it was settled there, or left to the broker).
   */
  void complete(Outcome outcome) {
    if (startedNanos == 0 || !completed.compareAndSet(false, true)) {
      return;
    }
    Integer terminatedBy = env.remote().terminatedSignal(id());
    if (terminatedBy != null && !(outcome instanceof Outcome.Ok)) {
      terminated(terminatedBy, outcome);
      return;
    }
    if (env.cold()
        && !(outcome instanceof Outcome.Ok || outcome instanceof Outcome.RetryRequested)) {
      // Whatever a cold shutdown's interrupt or kill made of the task, the worker lost it.
      outcome = new Outcome.Lost("worker shut down cold (" + outcome.label() + ")");
    }
    try {
      switch (outcome) {
        case Outcome.Ok ok -> succeed(ok.result());
        case Outcome.Failed f -> fail(f.error(), outcome.label());
        case Outcome.SoftTimedOut s -> fail(s.error(), outcome.label());
        case Outcome.HardKilled h -> fail(h.error(), outcome.label());
        case Outcome.Lost lost -> lose(lost);
        case Outcome.RetryRequested r -> retry(r);
      }
    } catch (RuntimeException e) { // a bug in settlement must not leave the message unsettled
      log.error("event=settle-failed task={} reason=\"{}\"", id(), e.toString(), e);
      finish(CompletableFuture.failedFuture(e));
    }
  }

  /**
   * Stopped by a remote terminate: REVOKED ("terminated"), whatever the pool made of the kill, and
   * settled like a finished task — Celery's terminate settles the same way.
   */
  private void terminated(int signal, Outcome outcome) {
    env.stats().revoked.increment();
    CompletableFuture<Void> stored = env.results().revoked(message, delivery.queue(), "terminated");
    env.chords()
        .partDone(message, TaskState.REVOKED, ResultWriter.revokedError("terminated").toMeta());
    env.remote().events().revoked(message, true, signal, false);
    log.info(
        "event=task-terminated task={} name={} signal={} outcome={}",
        id(),
        message.task(),
        signal,
        outcome.label());
    finish(stored);
  }

  private void succeed(Object result) {
    env.stats().succeeded.increment();
    env.remote().events().succeeded(message, result);
    CompletableFuture<Void> stored =
        keepResult() ? env.results().success(message, delivery.queue(), result) : done();
    env.chords().partDone(message, TaskState.SUCCESS, result);
    env.canvas().onSuccess(message, result);
    if (log.isInfoEnabled()) {
      log.info(
          "event=task-succeeded task={} name={} runtime_ms={}",
          id(),
          message.task(),
          runtimeMillis());
    }
    finish(stored);
  }

  private void fail(TaskError error, String outcome) {
    env.stats().failed.increment();
    env.remote().events().failed(message, error);
    CompletableFuture<Void> stored =
        keepResult() ? env.results().failure(message, delivery.queue(), error) : done();
    env.chords().partDone(message, TaskState.FAILURE, error.toMeta());
    env.canvas().onFailure(message, error);
    log.warn(
        "event=task-failed task={} name={} outcome={} exc_type={} runtime_ms={} reason=\"{}\"",
        id(),
        message.task(),
        outcome,
        error.type(),
        runtimeMillis(),
        error.message());
    finish(stored);
  }

  private void lose(Outcome.Lost lost) {
    // A cold shutdown ends the task, not the message: acked late, it goes back for another worker.
    if (acksLate && (env.config().rejectOnWorkerLost() || env.cold())) {
      env.stats().requeued.increment();
      log.warn(
          "event=task-requeued task={} name={} reason=\"{}\"", id(), message.task(), lost.reason());
      requeue(lost.reason());
      env.remote().events().rejected(id(), true);
      env.settled();
    } else {
      fail(lost.error(), lost.label());
    }
  }

  private void retry(Outcome.RetryRequested r) {
    int max = r.maxRetries() != null ? r.maxRetries() : task.options().maxRetries();
    if (message.headers().retries() >= max) {
      fail(r.cause() != null ? r.cause() : maxRetriesExceeded(), r.label());
      return;
    }
    TaskHeaders next =
        message.headers().toBuilder()
            .retries(message.headers().retries() + 1)
            .eta(OffsetDateTime.now(ZoneOffset.UTC).plus(r.countdown()))
            .build();
    TaskMessage again =
        new TaskMessage(
            next, message.args(), message.kwargs(), message.embed(), message.properties());
    CompletableFuture<Void> published;
    try {
      published = env.transport().publishAsync("", delivery.queue(), CeleryJsonCodec.encode(again));
    } catch (RuntimeException e) {
      published = CompletableFuture.failedFuture(e);
    }
    published.whenComplete(
        (ok, e) -> {
          if (e == null) {
            retried(r, next);
          } else {
            retryNotPublished(e);
          }
        });
  }

  private void retried(Outcome.RetryRequested r, TaskHeaders next) {
    env.stats().retried.increment();
    log.info(
        "event=task-retry task={} name={} retries={} countdown_ms={}",
        id(),
        message.task(),
        next.retries(),
        r.countdown().toMillis());
    TaskError cause =
        r.cause() != null
            ? r.cause()
            : TaskError.celery("Retry", "retry in " + r.countdown().toMillis() + "ms");
    env.remote().events().retried(message, cause);
    // The copy is with the broker: the original may go whatever becomes of the RETRY state.
    if (keepResult()) {
      env.results().retry(message, delivery.queue(), cause);
    }
    finish(done());
  }

  private void retryNotPublished(Throwable e) {
    String reason = "retry could not be published: " + rootCause(e);
    if (acksLate) {
      env.stats().requeued.increment();
      log.error("event=task-requeued task={} name={} reason=\"{}\"", id(), message.task(), reason);
      requeue(reason); // the broker delivers the original again: it retries then
      env.settled();
    } else {
      fail(TaskError.celery("RetryError", reason), "retry-failed");
    }
  }

  /**
   * The message's end once the result is where it belongs: with acks_late acked then, or requeued
   * when the result could not be stored (ResultWriter logged why). Acked early, nothing is left.
   */
  private void finish(CompletableFuture<Void> stored) {
    stored.whenComplete(
        (ok, e) -> {
          try {
            if (!acksLate) {
              return;
            }
            if (e == null) {
              acknowledge();
            } else {
              env.stats().requeued.increment();
              log.error(
                  "event=task-requeued task={} name={} reason=\"result not stored: {}\"",
                  id(),
                  message.task(),
                  rootCause(e));
              requeue("result not stored: " + rootCause(e));
            }
          } finally {
            env.settled();
          }
        });
  }

  private void acknowledge() {
    if (settled.compareAndSet(false, true)) {
      delivery.ack();
    }
  }

  /**
   * Back to the broker to be delivered again; on a quorum queue, unless this return passes its
   * delivery limit, which the log then says, as the broker dead-letters it without a word.
   */
  private void requeue(String reason) {
    if (DeliveryLimit.passedByRequeue(delivery, env.config())) {
      String dlx = env.config().deadLetterExchange();
      log.warn(
          "event=task-dead-lettered task={} name={} queue={} x-delivery-count={}"
              + " x-delivery-limit={} deadLetterExchange={} reason=\"{}\"",
          id(),
          message.task(),
          delivery.queue(),
          DeliveryLimit.count(delivery),
          DeliveryLimit.of(env.config()),
          dlx != null ? dlx : "none (dropped, unless a policy sets one)",
          reason);
    }
    reject(true);
  }

  private void reject(boolean requeue) {
    if (settled.compareAndSet(false, true)) {
      delivery.reject(requeue);
    }
  }

  private boolean keepResult() {
    return !(message.headers().ignoreResult() || task.options().ignoreResult());
  }

  private TaskError maxRetriesExceeded() {
    return TaskError.celery(
        "MaxRetriesExceededError",
        "Can't retry "
            + message.task()
            + "["
            + id()
            + "] args:"
            + message.args()
            + " kwargs:"
            + message.kwargs());
  }

  private long runtimeMillis() {
    return Duration.ofNanos(System.nanoTime() - startedNanos).toMillis();
  }

  private static CompletableFuture<Void> done() {
    return CompletableFuture.completedFuture(null);
  }

  private static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t != t.getCause()) {
      t = t.getCause();
    }
    return t.toString();
  }
}
