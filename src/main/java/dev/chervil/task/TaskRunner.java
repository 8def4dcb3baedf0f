package dev.chervil.task;

/**
 * Runs one task on the calling thread and turns whatever happens into an {@link Outcome}. Shared by
 * every pool, including the child JVM, so a task behaves the same wherever it runs.
 */
public final class TaskRunner {
  private final TaskRegistry registry;

  public TaskRunner(TaskRegistry registry) {
    this.registry = registry;
  }

  public TaskRegistry registry() {
    return registry;
  }

  public Outcome run(TaskContext ctx) {
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
