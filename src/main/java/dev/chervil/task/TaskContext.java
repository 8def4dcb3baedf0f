package dev.chervil.task;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a running task can see and do: its ids, its retry count, its cancellation state, and the
 * cancel hooks that make a soft limit reach code {@link Thread#interrupt()} cannot (a JDBC
 * statement's {@code cancel()}, a socket's {@code close()}).
 *
 * <p>Threads: the task's own thread calls the task-side methods; the limit scheduler calls {@link
 * #cancel(String)} from another thread. Hooks registered after cancellation run at once.
 */
public final class TaskContext {
  private static final Logger log = LoggerFactory.getLogger(TaskContext.class);

  private final TaskRequest request;
  private final List<CancelHook> hooks = new ArrayList<>(); // guarded by this
  private Thread thread; // guarded by this
  private String cancelReason; // guarded by this; non-null once cancelled
  private volatile boolean cancelled;

  public TaskContext(TaskRequest request) {
    this.request = request;
  }

  /** Code that stops a task's blocking work from another thread. */
  @FunctionalInterface
  public interface CancelHook {
    void cancel() throws Exception;
  }

  /** Removes a hook once the work it guards is done; {@code close()} never throws. */
  public interface Registration extends AutoCloseable {
    @Override
    void close();
  }

  public String id() {
    return request.id();
  }

  public int retries() {
    return request.retries();
  }

  public TaskRequest request() {
    return request;
  }

  public boolean isCancelled() {
    return cancelled;
  }

  /** Throws {@link SoftTimeLimitExceeded} if the soft limit has fired; call it in long loops. */
  public void checkCancelled() {
    if (cancelled) {
      throw new SoftTimeLimitExceeded(reason());
    }
  }

  /** Sleeps, but wakes with {@link SoftTimeLimitExceeded} when the soft limit fires. */
  public void sleep(Duration duration) {
    checkCancelled();
    try {
      TimeUnit.NANOSECONDS.sleep(duration.toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      checkCancelled();
      throw new SoftTimeLimitExceeded("interrupted");
    }
  }

  /**
   * Registers a hook that runs when the soft limit fires (or at once, if it has fired already).
   * Close the returned registration when the guarded work finishes.
   */
  public Registration onCancel(CancelHook hook) {
    boolean runNow;
    synchronized (this) {
      runNow = cancelled;
      if (!runNow) {
        hooks.add(hook);
      }
    }
    if (runNow) {
      runHook(hook);
      return () -> {};
    }
    return () -> {
      synchronized (this) {
        hooks.remove(hook);
      }
    };
  }

  /** {@code throw ctx.retry(countdown)} runs the task again after the countdown. */
  public RetryRequest retry(Duration countdown) {
    return new RetryRequest(countdown, null, null);
  }

  /** Retry naming the cause; with {@code maxRetries} overriding the task's option. */
  public RetryRequest retry(Duration countdown, Throwable cause, Integer maxRetries) {
    return new RetryRequest(countdown, maxRetries, cause);
  }

  // ---- for pools ------------------------------------------------------------------------------

  /**
   * Binds the context to the thread that runs the task, so cancellation can interrupt it. A soft
   * limit that fired before the task started (a 1 ms limit reaches a child JVM before its task
   * thread is bound) interrupts the thread now, or it would never be delivered.
   */
  public synchronized void bindTo(Thread runner) {
    thread = runner;
    if (cancelled) {
      runner.interrupt();
    }
  }

  public synchronized void unbind() {
    thread = null;
  }

  /** The soft limit: mark cancelled, interrupt the task's thread, run the cancel hooks. */
  public void cancel(String reason) {
    List<CancelHook> toRun;
    Thread target;
    synchronized (this) {
      if (cancelled) {
        return;
      }
      cancelReason = reason;
      cancelled = true;
      toRun = List.copyOf(hooks);
      target = thread;
    }
    if (target != null) {
      target.interrupt();
    }
    toRun.forEach(this::runHook);
  }

  private synchronized String reason() {
    return cancelReason;
  }

  private void runHook(CancelHook hook) {
    try {
      hook.cancel();
    } catch (Exception e) {
      log.warn("event=cancel-hook-failed task={} reason={}", request.id(), e.toString());
    }
  }
}
