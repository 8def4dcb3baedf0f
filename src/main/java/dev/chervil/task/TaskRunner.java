package dev.chervil.task;

import dev.chervil.protocol.CeleryJsonCodec;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Runs one task on the calling thread and turns whatever happens into an {@link Outcome}. Shared by
 * every pool, including the child JVM, so a task behaves the same wherever it runs.
 *
 * <p>A result that cannot be written as JSON is Celery's {@code EncodeError} failure, in every
 * pool. {@link #run} checks it for the pools that keep the result in this JVM, so an {@link
 * Outcome.Ok} only ever carries an encodable result; a child JVM uses {@link #runRaw} because it
 * encodes the result for its frame anyway and turns a failure there into {@link #encodeError}.
 */
public final class TaskRunner {
  private final TaskRegistry registry;

  public TaskRunner(TaskRegistry registry) {
    this.registry = registry;
  }

  public TaskRegistry registry() {
    return registry;
  }

  /** Runs the task; a success whose result is not encodable is an {@code EncodeError} failure. */
  public Outcome run(TaskContext ctx) {
    Outcome outcome = runRaw(ctx);
    if (outcome instanceof Outcome.Ok ok) {
      try {
        requireEncodable(ok.result());
      } catch (IOException | RuntimeException e) {
        return new Outcome.Failed(encodeError(ok.result(), e));
      }
    }
    return outcome;
  }

  /**
   * Celery's error for a result its serializer refused: {@code kombu.exceptions.EncodeError}, with
   * Jackson's reason as the message.
   */
  public static TaskError encodeError(Object result, Exception cause) {
    String type = result == null ? "null" : result.getClass().getName();
    return new TaskError(
        "EncodeError",
        "result of type " + type + " is not JSON serializable: " + cause.getMessage(),
        "kombu.exceptions",
        null,
        List.of());
  }

  /**
   * Throws if Jackson cannot write {@code value}. JSON's own types (what a task usually returns,
   * and all a result decoded from a message can be) are walked, not written: the result is encoded
   * later, with the result meta, and should not be encoded twice. Anything else — a record, a bean,
   * a type of the task's own — only Jackson can judge, so it is written to a sink that keeps
   * nothing.
   */
  static void requireEncodable(Object value) throws IOException {
    if (isPlainJson(value, 0)) {
      return;
    }
    CeleryJsonCodec.mapper().writeValue(OutputStream.nullOutputStream(), value);
  }

  private static boolean isPlainJson(Object v, int depth) {
    if (v == null || v instanceof String || v instanceof Boolean || v instanceof Integer) {
      return true;
    }
    if (v instanceof Long || v instanceof Double || v instanceof Float || v instanceof Short) {
      return true;
    }
    if (depth > 100) {
      return false; // let Jackson decide: it knows its own nesting limit
    }
    if (v instanceof Collection<?> c) {
      for (Object e : c) {
        if (!isPlainJson(e, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    if (v instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getKey() instanceof String) || !isPlainJson(e.getValue(), depth + 1)) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  /**
   * Runs the task without checking that a success's result is encodable: for a caller that encodes
   * it at once and maps a failure to {@link #encodeError} itself (the child JVM).
   */
  public Outcome runRaw(TaskContext ctx) {
    TaskRequest request = ctx.request();
    TaskDefinition task = registry.find(request.name()).orElse(null);
    if (task == null) {
      return new Outcome.Failed(TaskError.celery("NotRegistered", request.name()));
    }
    Object[] args;
    try {
      args = ArgumentBinder.bind(task, request.args(), request.kwargs());
    } catch (ArgumentMismatchException e) {
      return new Outcome.Failed(
          new TaskError("TypeError", e.getMessage(), "builtins", null, java.util.List.of()));
    }
    ctx.bindTo(Thread.currentThread());
    try {
      return new Outcome.Ok(task.handler().run(ctx, args));
    } catch (RetryRequest retry) {
      TaskError cause = retry.getCause() == null ? null : TaskError.of(retry.getCause());
      return new Outcome.RetryRequested(retry.countdown(), cause, retry.maxRetries());
    } catch (Throwable t) {
      return failure(task, ctx, t);
    } finally {
      ctx.unbind();
      Thread.interrupted(); // a soft limit's interrupt must not leak into the next task on this
      // thread
    }
  }

  private static Outcome failure(TaskDefinition task, TaskContext ctx, Throwable t) {
    // After the soft limit fired, whatever escapes is its doing: an interrupt, our own exception,
    // or whatever a cancel hook provoked (DuckDB answers Statement.cancel() with an SQLException).
    if (ctx.isCancelled()) {
      return new Outcome.SoftTimedOut(softTimeLimit(t));
    }
    for (Class<? extends Throwable> type : task.options().autoretryFor()) {
      if (type.isInstance(t)) {
        return new Outcome.RetryRequested(
            Backoff.delay(task.options(), ctx.retries()), TaskError.of(t), null);
      }
    }
    return new Outcome.Failed(TaskError.of(t));
  }

  private static TaskError softTimeLimit(Throwable t) {
    TaskError raw = TaskError.of(t);
    return new TaskError(
        "SoftTimeLimitExceeded",
        "soft time limit exceeded",
        "celery.exceptions",
        raw.traceback(),
        raw.lineage());
  }
}
