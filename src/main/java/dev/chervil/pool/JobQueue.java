package dev.chervil.pool;

import dev.chervil.task.Outcome;
import dev.chervil.task.TaskRequest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The intake every pool shares: submitted tasks wait here for a free slot, and the pool's lifecycle
 * state decides what may still come in. A pool's slots {@link #take} jobs; what differs between
 * pools is only how a slot runs one.
 *
 * <p>A pool shrinks through this queue too: {@link #retireSlots} puts a retirement ahead of every
 * queued task, so an idle slot takes it at once and a busy one after its current task — the one
 * moment a slot can leave without stopping a task.
 *
 * <p>Lifecycle: NEW, then {@link #open()} to RUNNING, {@link #drain} to DRAINING (no new tasks,
 * queued ones still run), {@link #close()} to CLOSED. Thread-safe.
 */
public final class JobQueue {
  private static final long POLL_MILLIS = 100;

  /** Where a pool is in its lifecycle. */
  public enum State {
    NEW,
    RUNNING,
    DRAINING,
    CLOSED
  }

  /**
   * A task, the future its outcome completes exactly once, and the submitter's last word before it
   * runs — or, with no request, the word to a slot that it retires ({@link #retiresSlot()}).
   */
  public record Job(TaskRequest request, CompletableFuture<Outcome> result, Admission admission) {
    /** True for a retirement from {@link #retireSlots}: the slot that took it leaves the pool. */
    public boolean retiresSlot() {
      return request == null;
    }
  }

  private static final Job RETIRE = new Job(null, null, Admission.ALWAYS);

  /**
   * Asked by the slot that takes a job, just before it runs. This is the moment a task starts: the
   * worker acks an early-acked message here (so the broker's prefetch bounds what waits in this
   * queue) and checks expiry, revocation and a lost channel once, at the point that decides.
   */
  @FunctionalInterface
  public interface Admission {
    /**
     * @return false if the task must not run; the submitter has then settled it itself, and the
     *     job's future is completed with {@link Outcome.Lost} nobody reads
     */
    boolean begin();

    Admission ALWAYS = () -> true;
  }

  private final String kind;
  private final LinkedBlockingDeque<Job> jobs = new LinkedBlockingDeque<>();
  private final AtomicInteger running = new AtomicInteger();
  private volatile State state = State.NEW;

  /**
   * @param kind the pool's name, for error messages
   */
  public JobQueue(String kind) {
    this.kind = kind;
  }

  public State state() {
    return state;
  }

  public boolean isClosed() {
    return state == State.CLOSED;
  }

  /** NEW to RUNNING; false if the pool was started before. */
  public synchronized boolean open() {
    if (state != State.NEW) {
      return false;
    }
    state = State.RUNNING;
    return true;
  }

  /** Queues a task; its outcome completes the returned future. Only while RUNNING. */
  public CompletableFuture<Outcome> submit(TaskRequest request) {
    return submit(request, Admission.ALWAYS);
  }

  /** Queues a task that asks {@code admission} before it runs. Only while RUNNING. */
  public CompletableFuture<Outcome> submit(TaskRequest request, Admission admission) {
    if (state != State.RUNNING) {
      throw new IllegalStateException(
          "pool " + kind + " is " + state + ": cannot run task " + request.id());
    }
    CompletableFuture<Outcome> result = new CompletableFuture<>();
    jobs.add(new Job(request, result, admission));
    return result;
  }

  /**
   * A pool's {@link ExecutionPool#resize}, the part every pool shares: refused while draining or
   * closed, bounded by {@link ExecutionPool#resized}; once running, {@code startSlot} starts each
   * new slot and the surplus is {@link #retireSlots retired} between tasks. Returns the new size.
   * The caller holds its pool's lock.
   */
  public int resize(int size, int delta, Runnable startSlot) {
    State now = state;
    if (now == State.DRAINING || now == State.CLOSED) {
      throw new IllegalStateException("the " + kind + " pool is " + now + ": cannot resize");
    }
    int to = ExecutionPool.resized(kind, size, delta);
    if (now == State.RUNNING) {
      for (int i = 0; i < delta; i++) {
        startSlot.run();
      }
      retireSlots(Math.max(0, -delta));
    }
    return to;
  }

  /**
   * Asks {@code n} slots to leave the pool: each of the next {@code n} takes, ahead of any queued
   * task, is a job that {@link Job#retiresSlot() retires} the slot taking it. Never stops a running
   * task: a busy slot takes it only once its task has ended.
   */
  public void retireSlots(int n) {
    for (int i = 0; i < n; i++) {
      jobs.addFirst(RETIRE);
    }
  }

  /**
   * The next admitted job (or a retirement), counted as running until its future completes; null
   * after a short wait with nothing queued, so a slot's loop can look at the pool's state and its
   * child in between.
   */
  public Job take() throws InterruptedException {
    return admitted(jobs.poll(POLL_MILLIS, TimeUnit.MILLISECONDS));
  }

  /**
   * The next admitted job or a retirement; waits as long as it takes (a slot with nothing else to
   * look after).
   */
  public Job takeBlocking() throws InterruptedException {
    Job job;
    do {
      job = admitted(jobs.take());
    } while (job == null);
    return job;
  }

  private Job admitted(Job job) {
    if (job == null || job.retiresSlot()) {
      return job;
    }
    boolean admit;
    try {
      admit = job.admission().begin();
    } catch (RuntimeException e) { // the submitter's bug must not kill a slot: do not run it
      job.result().complete(new Outcome.Lost("admission failed: " + e));
      return null;
    } catch (Error e) {
      // Settled first, so the job is not lost with the slot's loop, which the watchdog restarts.
      job.result().complete(new Outcome.Lost("admission failed: " + e));
      throw e;
    }
    if (!admit) {
      job.result().complete(new Outcome.Lost("not admitted: " + job.request().id()));
      return null;
    }
    running.incrementAndGet();
    job.result().whenComplete((o, e) -> running.decrementAndGet());
    return job;
  }

  public boolean isEmpty() {
    return jobs.isEmpty();
  }

  /** Stops taking new tasks and waits until queued and running ones are done; false on timeout. */
  public boolean drain(Duration timeout) {
    synchronized (this) {
      if (state == State.RUNNING) {
        state = State.DRAINING;
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!jobs.isEmpty() || running.get() > 0) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /** To CLOSED; false if it was closed already (so a pool closes once). */
  public synchronized boolean close() {
    if (state == State.CLOSED) {
      return false;
    }
    state = State.CLOSED;
    return true;
  }

  /** Settles every task still queued as lost: the pool closed before it ran. */
  public void failQueued() {
    Job left;
    while ((left = jobs.poll()) != null) {
      if (left.retiresSlot()) {
        continue; // every slot leaves anyway
      }
      left.result()
          .complete(new Outcome.Lost("pool closed before task " + left.request().id() + " ran"));
    }
  }
}
