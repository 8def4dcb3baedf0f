package dev.chervil.pool.process;

import dev.chervil.census.CensusKeeper;
import dev.chervil.os.ProcFs;
import dev.chervil.os.Subreaper;
import dev.chervil.threads.Watchdog;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process pool's one housekeeping owner (HikariCP keeps one such thread per pool): it reaps
 * what released sessions leave behind and keeps the pool's census. Nothing else reaps adopted
 * grandchildren and no getter has side effects.
 *
 * <p>A pool event ({@link #poolChanged()}: a child started, killed, released or lost) wakes it: it
 * sweeps the released sessions — reaps their adopted zombies, forgets a session with nobody left —
 * and takes a census. While a released session still has members it sweeps again every {@link
 * #SWEEP_EVERY} (they die and are re-parented to us a moment after the kill); otherwise it takes a
 * census every {@link #CENSUS_EVERY} and sleeps.
 *
 * <p>Threads: one virtual thread, from {@link #start()} to {@link #close}; {@link #poolChanged()}
 * and {@link #released} from any thread, never blocking.
 */
final class Housekeeper implements AutoCloseable {
  static final Duration SWEEP_EVERY = Duration.ofMillis(20);
  static final Duration CENSUS_EVERY = Duration.ofSeconds(5);
  private static final Logger log = LoggerFactory.getLogger(Housekeeper.class);

  private final Set<Long> releasedSessions = ConcurrentHashMap.newKeySet();
  private final Semaphore events = new Semaphore(0);
  private final Object sweeping = new Object(); // the thread's sweeps, and close()'s last ones
  private final CensusKeeper census;
  private Thread thread;
  private volatile boolean closing;

  Housekeeper(CensusKeeper census) {
    this.census = census;
  }

  synchronized void start() {
    if (thread == null) {
      closing = false;
      thread =
          Thread.ofVirtual()
              .name("chervil-processes-housekeeper")
              .start(Watchdog.restarting(() -> closing, this::loop));
    }
  }

  /** A child's session was let go: what lives in it from now on is an orphan until reaped. */
  void released(long sid) {
    releasedSessions.add(sid);
    poolChanged();
  }

  /** Something the census counts changed: sweep and take a census soon. */
  void poolChanged() {
    if (events.availablePermits() == 0) {
      events.release();
    }
  }

  /** Released sessions with members left, as of the last sweep. */
  Set<Long> releasedSessions() {
    return Set.copyOf(releasedSessions);
  }

  /**
   * Stops the thread, then sweeps on the caller's thread for up to {@code atMost} until no released
   * session has members left, so a closed pool leaves no zombie behind for the census. Returns how
   * many sessions still have members.
   */
  int close(Duration atMost) {
    close();
    long deadline = System.nanoTime() + atMost.toNanos();
    sweep();
    while (!releasedSessions.isEmpty() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      sweep();
    }
    return releasedSessions.size();
  }

  @Override
  public synchronized void close() {
    if (thread != null) {
      closing = true;
      thread.interrupt();
      try {
        thread.join(Duration.ofSeconds(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      thread = null;
    }
  }

  private void loop() {
    long nextCensus = System.nanoTime();
    while (true) {
      try {
        long wait =
            releasedSessions.isEmpty()
                ? Math.max(0, nextCensus - System.nanoTime())
                : SWEEP_EVERY.toNanos();
        boolean event = events.tryAcquire(wait, TimeUnit.NANOSECONDS);
        events.drainPermits();
        sweep();
        if (event || System.nanoTime() - nextCensus >= 0) {
          census.refresh();
          nextCensus = System.nanoTime() + CENSUS_EVERY.toNanos();
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.warn("event=housekeeping-failed reason=\"{}\"", e.toString());
      }
    }
  }

  /**
   * Reaps adopted grandchildren of released sessions and forgets sessions with nobody left, alive
   * or zombie. What stays in the set is what the census reports as orphans.
   */
  private void sweep() {
    synchronized (sweeping) {
      if (releasedSessions.isEmpty()) {
        return;
      }
      Subreaper.reapAdopted(releasedSessions);
      releasedSessions.removeIf(sid -> ProcFs.inSession(sid).isEmpty());
    }
  }
}
