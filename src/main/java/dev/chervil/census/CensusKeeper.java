package dev.chervil.census;

import dev.chervil.threads.Watchdog;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The census a pool keeps at hand, so nothing per task has to read {@code /proc}. Nothing a task
 * does changes what the census counts (a child's own work stays inside the child; a thread pool's
 * threads are counted by name), so it is taken when the pool itself changes — a child started,
 * killed, released or lost, a thread abandoned — and in the background at most every {@code every};
 * {@link #latest()} is the last one taken. {@link Census#take} still reads {@code /proc} on demand,
 * for tests and {@code inspect census}.
 *
 * <p>Threads: {@link #requestRefresh()} from any thread, never blocks; the census is taken on one
 * virtual thread (not a platform thread for the census to count) started by {@link #start()} and
 * ended by {@link #close()}. A pool with a housekeeper of its own calls {@link #refresh()} from it
 * instead and never starts this one.
 */
public final class CensusKeeper implements AutoCloseable {
  private final CensusSource source;
  private final Semaphore wanted = new Semaphore(0);
  private volatile CensusSnapshot latest;
  private Thread loop;
  private volatile boolean closing;

  public CensusKeeper(CensusSource source) {
    this.source = source;
  }

  /** The census last taken (one is taken now if none was yet). */
  public CensusSnapshot latest() {
    CensusSnapshot s = latest;
    return s != null ? s : refresh();
  }

  /** Takes the census now, on the calling thread, and keeps it. */
  public CensusSnapshot refresh() {
    CensusSnapshot s = Census.take(source);
    latest = s;
    return s;
  }

  /** A pool event: the background thread takes a census soon (requests in a burst coalesce). */
  public void requestRefresh() {
    if (wanted.availablePermits() == 0) {
      wanted.release();
    }
  }

  /** Starts the background thread: a census on every request, and at least every {@code every}. */
  public synchronized void start(String name, Duration every) {
    if (loop != null) {
      return;
    }
    closing = false;
    loop =
        Thread.ofVirtual()
            .name(name)
            .start(Watchdog.restarting(() -> closing, () -> refreshUntilInterrupted(every)));
  }

  private void refreshUntilInterrupted(Duration every) {
    while (!Thread.currentThread().isInterrupted()) {
      try {
        wanted.tryAcquire(every.toNanos(), TimeUnit.NANOSECONDS);
        wanted.drainPermits();
        refresh();
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // /proc read raced with an exit; the next round tries again
      }
    }
  }

  @Override
  public synchronized void close() {
    if (loop != null) {
      closing = true;
      loop.interrupt();
      try {
        loop.join(Duration.ofSeconds(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      loop = null;
    }
  }
}
