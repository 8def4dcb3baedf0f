package dev.chervil.limits;

import dev.chervil.threads.Watchdog;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one place time limits are timed, shared by all pools: a single daemon thread that fires soft
 * and hard limit actions. Actions must be short; anything slow (a kill and its grace period) is
 * handed to another thread by the action itself.
 */
public final class DeadlineScheduler implements AutoCloseable {

  private final ScheduledThreadPoolExecutor timer;

  public DeadlineScheduler(String name) {
    timer = new ScheduledThreadPoolExecutor(1, Watchdog.threads(name));
    // A cancelled deadline is the common case (the task ended first): drop it from the queue at
    // once instead of keeping one entry per finished task until its time comes.
    timer.setRemoveOnCancelPolicy(true);
    // Start the thread now, so a census baseline taken after start-up already counts it.
    timer.prestartAllCoreThreads();
  }

  /** Runs {@code action} after {@code delay} unless the returned deadline is cancelled first. */
  public Deadline schedule(Duration delay, Runnable action) {
    ScheduledFuture<?> f =
        timer.schedule(Watchdog.guarded("deadline", action), delay.toNanos(), TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
