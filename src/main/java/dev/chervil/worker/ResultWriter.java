package dev.chervil.worker;

import dev.chervil.backend.ResultBackend;
import dev.chervil.backend.ResultMeta;
import dev.chervil.backend.TaskState;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.TaskError;
import dev.chervil.threads.Watchdog;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes task states to the result backend in Celery's shape, {@code group_id} and {@code
 * parent_id} included; with {@code result_extended} also {@code name, args, kwargs, worker,
 * retries, queue}. Every write is asynchronous: the returned future completes when the backend has
 * the state, or exceptionally when it could not be stored even after the retries of its {@link
 * StoreRetry} policy (each retry logged at WARN, the final failure at ERROR, with the task id). The
 * caller decides what a failed store means for its message; nothing is thrown.
 *
 * <p>Lifecycle: the retry timer (one daemon thread) starts with the writer; {@link #close()} stops
 * it, failing the stores still waiting for a retry.
 */
final class ResultWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ResultWriter.class);

  private final ResultBackend backend;
  private final StoreRetry retry;
  private final Executor retryOn;
  private final ScheduledThreadPoolExecutor timer;
  private final boolean extended;
  private final String worker = "chervil@" + hostname();

  /**
   * @param retryOn where a retried store runs once its wait is over (the timer only waits)
   * @param extended Celery's {@code result_extended}
   */
  ResultWriter(ResultBackend backend, StoreRetry retry, Executor retryOn, boolean extended) {
    this.backend = backend;
    this.retry = retry;
    this.retryOn = retryOn;
    this.extended = extended;
    this.timer = new ScheduledThreadPoolExecutor(1, Watchdog.threads("chervil-store-retry"));
    timer.prestartAllCoreThreads(); // with the worker, so it is in every census baseline
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  /** {@code queue} is the one the message came from (extended meta); null when not known. */
  CompletableFuture<Void> success(TaskMessage m, String queue, Object result) {
    return store(m, queue, TaskState.SUCCESS, result, null);
  }

  CompletableFuture<Void> failure(TaskMessage m, String queue, TaskError error) {
    return store(m, queue, TaskState.FAILURE, error.toMeta(), error.traceback());
  }

  CompletableFuture<Void> retry(TaskMessage m, String queue, TaskError cause) {
    return store(m, queue, TaskState.RETRY, cause.toMeta(), cause.traceback());
  }

  /** STARTED with Celery's meta {@code {pid, hostname}} (task_track_started). */
  CompletableFuture<Void> started(TaskMessage m, String queue, Map<String, Object> meta) {
    return store(m, queue, TaskState.STARTED, meta, null);
  }

  CompletableFuture<Void> revoked(TaskMessage m, String queue, String reason) {
    return store(m, queue, TaskState.REVOKED, revokedError(reason).toMeta(), null);
  }

  /** Celery's TaskRevokedError, as stored and as a chord member's part. */
  static TaskError revokedError(String reason) {
    return TaskError.celery("TaskRevokedError", reason);
  }

  /**
   * For a message rejected before it became a {@link TaskMessage}'s run: only id and route known.
   */
  CompletableFuture<Void> failure(String taskId, String replyTo, TaskError error) {
    return write(
        new ResultMeta(taskId, TaskState.FAILURE, error.toMeta(), error.traceback(), null, now()),
        replyTo,
        taskId);
  }

  private CompletableFuture<Void> store(
      TaskMessage m, String queue, TaskState state, Object result, String traceback) {
    String correlationId =
        m.properties() != null && m.properties().correlationId() != null
            ? m.properties().correlationId()
            : m.id();
    String replyTo = m.properties() == null ? null : m.properties().replyTo();
    return write(
        new ResultMeta(m.id(), state, result, traceback, null, now(), extra(m, queue)),
        replyTo,
        correlationId);
  }

  private CompletableFuture<Void> write(ResultMeta meta, String replyTo, String correlationId) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    attempt(meta, replyTo, correlationId, 1, done);
    return done;
  }

  private void attempt(
      ResultMeta meta, String replyTo, String correlationId, int n, CompletableFuture<Void> done) {
    CompletableFuture<Void> stored;
    try {
      stored = backend.storeAsync(meta, replyTo, correlationId);
    } catch (RuntimeException e) { // a backend that throws instead of failing its future
      stored = CompletableFuture.failedFuture(e);
    }
    stored.whenComplete(
        (ok, e) -> {
          if (e == null) {
            done.complete(null);
            return;
          }
          String reason = reason(e);
          if (n >= retry.attempts() || timer.isShutdown()) {
            log.error(
                "event=result-store-failed task={} state={} attempts={} reason=\"{}\"",
                meta.taskId(),
                meta.status(),
                n,
                reason);
            done.completeExceptionally(e);
            return;
          }
          long delay = retry.delayMillis(n);
          log.warn(
              "event=result-store-retry task={} state={} attempt={} delay_ms={} reason=\"{}\"",
              meta.taskId(),
              meta.status(),
              n,
              delay,
              reason);
          try {
            timer.schedule(
                Watchdog.guarded(
                    "store-retry",
                    () ->
                        retryOn.execute(() -> attempt(meta, replyTo, correlationId, n + 1, done))),
                delay,
                TimeUnit.MILLISECONDS);
          } catch (RejectedExecutionException closed) {
            done.completeExceptionally(e);
          }
        });
  }

  private static String reason(Throwable e) {
    return e instanceof CompletionException c && c.getCause() != null
        ? c.getCause().toString()
        : e.toString();
  }

  private Map<String, Object> extra(TaskMessage m, String queue) {
    Map<String, Object> extra = new LinkedHashMap<>();
    if (m.headers().group() != null) {
      extra.put("group_id", m.headers().group());
    }
    if (m.headers().parentId() != null) {
      extra.put("parent_id", m.headers().parentId());
    }
    if (extended) {
      extra.put("name", m.task());
      extra.put("args", m.args());
      extra.put("kwargs", m.kwargs());
      extra.put("worker", worker);
      extra.put("retries", m.headers().retries());
      extra.put("queue", queue);
    }
    return extra;
  }

  private static String hostname() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "localhost";
    }
  }

  private static OffsetDateTime now() {
    return OffsetDateTime.now(ZoneOffset.UTC);
  }
}
