package dev.chervil.threads;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What keeps the worker's long-lived threads alive: a {@link Throwable} escaping one is logged at
 * ERROR with the thread's name, and the work goes on. There are three kinds of such thread, and one
 * way for each:
 *
 * <ul>
 *   <li>A thread running a loop of its own (pool slots, consumers, housekeepers): its body is
 *       {@link #restarting restarted} after a backoff of 100 ms doubling to 5 s, until its owner
 *       says it is stopping. The body keeps its state in its owner, so a restart resumes the loop.
 *   <li>A {@code ThreadPoolExecutor}'s thread ({@link #threads}): a task that throws ends that
 *       thread; the executor starts another and keeps its queue, so only the log line is added.
 *   <li>A scheduled action ({@link #guarded}): a {@code ScheduledExecutorService} keeps the thread
 *       but swallows the throwable into a future nobody reads and cancels a periodic action for
 *       good (a heartbeat that throws once never beats again); guarded, it is logged and the
 *       schedule stays.
 * </ul>
 *
 * <p>None of this is on a per-message path: a loop is wrapped once per thread start, a periodic
 * action once per schedule.
 */
public final class Watchdog {
  private static final Logger log = LoggerFactory.getLogger(Watchdog.class);
  static final long FIRST_BACKOFF_MILLIS = 100;
  static final long MAX_BACKOFF_MILLIS = 5_000;
  // A body that ran this long before it threw starts over at the first backoff.
  private static final long HEALTHY_NANOS = TimeUnit.SECONDS.toNanos(60);

  private Watchdog() {}

  /**
   * A thread's body that is run again when it throws. Returns when {@code body} returns, or when it
   * threw and {@code stopping} is true (its owner is closing, so the throw may be the close's).
   *
   * @param stopping read after a throw and during the backoff; true once the owner closes
   */
  public static Runnable restarting(BooleanSupplier stopping, Runnable body) {
    return () -> {
      long backoff = FIRST_BACKOFF_MILLIS;
      while (true) {
        long started = System.nanoTime();
        try {
          body.run();
          return;
        } catch (Throwable t) { // NOPMD: the point of a watchdog
          if (stopping.getAsBoolean()) {
            return;
          }
          if (System.nanoTime() - started > HEALTHY_NANOS) {
            backoff = FIRST_BACKOFF_MILLIS;
          }
          log.error(
              "event=thread-loop-failed thread={} action=restart restart_in_ms={} reason=\"{}\"",
              Thread.currentThread().getName(),
              backoff,
              t.toString(),
              t);
          if (!pause(backoff, stopping)) {
            return;
          }
          backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
        }
      }
    };
  }

  /**
   * A scheduled or queued action whose throwable is logged instead of ending its schedule. Errors
   * are kept too: a {@code StackOverflowError} in one action says nothing about the next.
   */
  public static Runnable guarded(String action, Runnable body) {
    return () -> {
      try {
        body.run();
      } catch (Throwable t) { // NOPMD: the point of a watchdog
        log.error(
            "event=thread-action-failed thread={} action={} reason=\"{}\"",
            Thread.currentThread().getName(),
            action,
            t.toString(),
            t);
      }
    };
  }

  /**
   * Named daemon threads for an executor, {@code name} for the first and {@code name-2}, {@code
   * name-3}... for those that replace a thread a task killed; each death is logged at ERROR.
   */
  public static ThreadFactory threads(String name) {
    AtomicInteger started = new AtomicInteger();
    return r -> {
      int n = started.incrementAndGet();
      Thread t = new Thread(r, n == 1 ? name : name + "-" + n);
      t.setDaemon(true);
      t.setUncaughtExceptionHandler(Watchdog::died);
      return t;
    };
  }

  private static void died(Thread thread, Throwable t) {
    log.error(
        "event=thread-died thread={} action=replaced-by-executor reason=\"{}\"",
        thread.getName(),
        t.toString(),
        t);
  }

  /** Sleeps {@code millis} unless {@code stopping} turns true first; false if it did. */
  private static boolean pause(long millis, BooleanSupplier stopping) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    long left;
    while ((left = deadline - System.nanoTime()) > 0) {
      if (stopping.getAsBoolean()) {
        return false;
      }
      try {
        // Short naps: stopping is a flag the owner sets, not a signal it sends.
        TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(20)));
      } catch (InterruptedException e) {
        // The owner's wake-up call (a close, a new job): kept for the body, which runs now and
        // reads its own state.
        Thread.currentThread().interrupt();
        return !stopping.getAsBoolean();
      }
    }
    return !stopping.getAsBoolean();
  }
}
