package dev.chervil.worker;

import dev.chervil.backend.ResultBackend;
import dev.chervil.backend.TaskState;
import dev.chervil.broker.Transport;
import dev.chervil.census.Census;
import dev.chervil.census.CensusSource;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.protocol.TaskHeaders;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskError;
import dev.chervil.worker.Intake.Accepted;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an outcome into the result a caller sees and the fate of the message: ack, requeue, or a
 * retry published as a new message. The policy, in one place:
 *
 * <ul>
 *   <li>ok, failed, soft and hard timeouts: result stored, message acked (Celery's {@code
 *       task_acks_on_failure_or_timeout}).
 *   <li>lost (the child process died): with acks_late and reject_on_worker_lost the message is
 *       requeued and no result is stored; otherwise WorkerLostError is stored and it is acked.
 *   <li>retry: a copy with {@code retries + 1} and an ETA is published to the same queue before the
 *       original is acked, so a crash in between duplicates rather than loses it.
 * </ul>
 */
final class OutcomeSettler {
  private static final Logger log = LoggerFactory.getLogger(OutcomeSettler.class);

  private final Transport transport;
  private final ResultWriter results;
  private final WorkerConfig config;
  private final WorkerStats stats;
  private final Canvas canvas;
  private final ChordJoin chords;
  private final CensusSource pool;
  private final WorkerRemote remote;

  OutcomeSettler(
      Transport transport,
      ResultBackend backend,
      ResultWriter results,
      WorkerConfig config,
      WorkerStats stats,
      CensusSource pool,
      WorkerRemote remote) {
    this.pool = pool;
    this.remote = remote;
    this.transport = transport;
    this.results = results;
    this.config = config;
    this.stats = stats;
    this.canvas = new Canvas(transport);
    this.chords = new ChordJoin(backend, results, canvas);
  }

  boolean acksLate(Accepted a) {
    Boolean own = a.task().options().acksLate();
    return own != null ? own : config.acksLate();
  }

  void settle(Accepted a, Outcome outcome) {
    TaskMessage m = a.message();
    boolean keep = !(m.headers().ignoreResult() || a.task().options().ignoreResult());
    Integer terminatedBy = remote.terminatedSignal(m.id());
    if (terminatedBy != null && !(outcome instanceof Outcome.Ok)) {
      revokeTerminated(a, terminatedBy, outcome);
      return;
    }
    switch (outcome) {
      case Outcome.Ok ok -> {
        if (keep) {
          results.success(m, ok.result());
        }
        remote.events().succeeded(m, ok.result());
        stats.succeeded.increment();
        chords.partDone(m, TaskState.SUCCESS, ok.result());
        canvas.onSuccess(m, ok.result());
        finish(a);
      }
      case Outcome.Failed f -> fail(a, f.error(), keep);
      case Outcome.SoftTimedOut s -> fail(a, s.error(), keep);
      case Outcome.HardKilled h -> fail(a, h.error(), keep);
      case Outcome.Lost lost -> {
        if (acksLate(a) && config.rejectOnWorkerLost()) {
          a.delivery().reject(true);
          stats.requeued.increment();
          remote.events().rejected(m.id(), true);
          log.warn(
              "event=task-requeued task={} name={} reason=\"{}\"", m.id(), m.task(), lost.reason());
        } else {
          fail(a, lost.error(), keep);
        }
      }
      case Outcome.RetryRequested r -> retry(a, r, keep);
    }
    // The census on every settled task: a leak shows up in the log at the task that caused it.
    log.info(
        "event=task-settled task={} name={} outcome={} {}",
        m.id(),
        m.task(),
        outcome.label(),
        Census.take(pool).toLogFields());
  }

  /** A revoked message (remote control's revoke): REVOKED without running, acked, as Celery. */
  void revokeRevoked(Accepted a) {
    results.revoked(a.message(), "revoked");
    chords.partDone(
        a.message(), TaskState.REVOKED, TaskError.celery("TaskRevokedError", "revoked").toMeta());
    stats.revoked.increment();
    a.delivery().ack();
    remote.events().revoked(a.message(), false, null, false);
    log.info("event=task-revoked task={} name={}", a.message().id(), a.message().task());
  }

  /**
   * Stopped by a remote terminate: REVOKED ("terminated"), whatever the pool made of the kill, and
   * acked — Celery's terminate settles the same way.
   */
  private void revokeTerminated(Accepted a, int signal, Outcome outcome) {
    TaskMessage m = a.message();
    results.revoked(m, "terminated");
    chords.partDone(
        m, TaskState.REVOKED, TaskError.celery("TaskRevokedError", "terminated").toMeta());
    stats.revoked.increment();
    finish(a); // acked at start unless acks_late
    remote.events().revoked(m, true, signal, false);
    log.info(
        "event=task-terminated task={} name={} signal={} outcome={} {}",
        m.id(),
        m.task(),
        signal,
        outcome.label(),
        Census.take(pool).toLogFields());
  }

  /** An expired message: REVOKED without running (Celery marks it so and acks it). */
  void revokeExpired(Accepted a) {
    remote.events().revoked(a.message(), false, null, true);
    results.revoked(a.message(), "expired");
    chords.partDone(
        a.message(), TaskState.REVOKED, TaskError.celery("TaskRevokedError", "expired").toMeta());
    stats.revoked.increment();
    a.delivery().ack();
    log.info(
        "event=task-expired task={} name={} expires={}",
        a.message().id(),
        a.message().task(),
        a.message().headers().expires());
  }

  private void fail(Accepted a, TaskError error, boolean keep) {
    if (keep) {
      results.failure(a.message(), error);
    }
    stats.failed.increment();
    remote.events().failed(a.message(), error);
    chords.partDone(a.message(), TaskState.FAILURE, error.toMeta());
    canvas.onFailure(a.message());
    log.warn(
        "event=task-failed task={} name={} exc_type={} reason=\"{}\"",
        a.message().id(),
        a.message().task(),
        error.type(),
        error.message());
    finish(a);
  }

  private void retry(Accepted a, Outcome.RetryRequested r, boolean keep) {
    TaskMessage m = a.message();
    int max = r.maxRetries() != null ? r.maxRetries() : a.task().options().maxRetries();
    if (m.headers().retries() >= max) {
      TaskError error =
          r.cause() != null
              ? r.cause()
              : TaskError.celery(
                  "MaxRetriesExceededError",
                  "Can't retry "
                      + m.task()
                      + "["
                      + m.id()
                      + "] args:"
                      + m.args()
                      + " kwargs:"
                      + m.kwargs());
      fail(a, error, keep);
      return;
    }
    TaskHeaders next =
        m.headers().toBuilder()
            .retries(m.headers().retries() + 1)
            .eta(OffsetDateTime.now(ZoneOffset.UTC).plus(r.countdown()))
            .build();
    TaskMessage again = new TaskMessage(next, m.args(), m.kwargs(), m.embed(), m.properties());
    transport.publish("", a.delivery().queue(), CeleryJsonCodec.encode(again));
    if (keep) {
      results.retry(
          m,
          r.cause() != null
              ? r.cause()
              : TaskError.celery("Retry", "retry in " + r.countdown().toMillis() + "ms"));
    }
    stats.retried.increment();
    remote
        .events()
        .retried(
            m,
            r.cause() != null
                ? r.cause()
                : TaskError.celery("Retry", "retry in " + r.countdown().toMillis() + "ms"));
    log.info(
        "event=task-retry task={} name={} retries={} countdown_ms={}",
        m.id(),
        m.task(),
        next.retries(),
        r.countdown().toMillis());
    finish(a);
  }

  private void finish(Accepted a) {
    if (acksLate(a)) {
      a.delivery().ack();
    }
  }
}
