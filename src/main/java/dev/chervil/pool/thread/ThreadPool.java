package dev.chervil.pool.thread;

import dev.chervil.census.CensusKeeper;
import dev.chervil.census.CensusSnapshot;
import dev.chervil.limits.Deadline;
import dev.chervil.limits.DeadlineScheduler;
import dev.chervil.pool.ExecutionPool;
import dev.chervil.pool.JobQueue;
import dev.chervil.pool.JobQueue.Job;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskContext;
import dev.chervil.task.TaskRequest;
import dev.chervil.task.TaskRunner;
import dev.chervil.threads.Watchdog;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks on a number of threads in the worker's own JVM; {@code solo} is this pool with one
 * slot, which cannot be resized (as Celery's solo pool cannot). A shrink retires slots through the
 * {@link JobQueue}: the thread that takes a retirement ends, after its task if it had one. The soft
 * limit interrupts the task's thread and runs its cancel hooks. The hard limit cannot stop a thread
 * — Java has no safe way to — so it settles the task as TimeLimitExceeded, abandons the thread (it
 * is counted in the census until it ends by itself) and starts a replacement so the pool keeps its
 * size. Only the process pool can reclaim code stuck in native calls.
 *
 * <p>Threads: {@link #submit} from any thread; each {@link Slot} runs on its own thread; limits
 * fire on the shared {@link DeadlineScheduler} thread. A task's future is completed by whichever
 * comes first, the slot (normal end) or the hard limit, under the slot's lock, so a hard kill is
 * recorded (thread abandoned) before anyone can see its outcome.
 *
 * <p>Nothing here reads {@code /proc} per task: the census ({@link #lastCensus()}) is taken when a
 * thread is abandoned and every few seconds, on a virtual thread of the {@link CensusKeeper}.
 */
public final class ThreadPool implements ExecutionPool {
  private static final Logger log = LoggerFactory.getLogger(ThreadPool.class);

  private final String kind;
  private volatile int size; // written under the pool's lock
  private final boolean virtual;
  private final TaskRunner runner;
  private final DeadlineScheduler limits; // owned: closed with the pool
  private final JobQueue jobs;
  private final List<Slot> slots = new CopyOnWriteArrayList<>();
  private final Set<Thread> abandoned = ConcurrentHashMap.newKeySet();
  private final AtomicInteger threadIds = new AtomicInteger();
  private final CensusKeeper census = new CensusKeeper(this);

  public ThreadPool(String kind, int size, boolean virtual, TaskRunner runner) {
    if (size < 1) {
      throw new IllegalArgumentException("pool size must be at least 1: " + size);
    }
    this.kind = kind;
    this.size = size;
    this.virtual = virtual;
    this.runner = runner;
    this.limits = new DeadlineScheduler("chervil-" + kind + "-limits");
    this.jobs = new JobQueue(kind);
  }

  @Override
  public String kind() {
    return kind;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public synchronized int resize(int delta) {
    if ("solo".equals(kind)) {
      throw new UnsupportedOperationException(
          "the solo pool runs tasks on the worker's one thread and cannot grow or shrink (nor can"
              + " Celery's); start the worker with -P threads");
    }
    int from = size;
    size = jobs.resize(from, delta, this::startSlot);
    log.info("event=pool-resized kind={} from={} to={}", kind, from, size);
    return size;
  }

  @Override
  public synchronized void start() {
    if (!jobs.open()) {
      return;
    }
    for (int i = 0; i < size; i++) {
      startSlot();
    }
    census.start("chervil-census-" + kind, Duration.ofSeconds(5));
    log.info("event=pool-started kind={} size={} virtual={}", kind, size, virtual);
  }

  @Override
  public CompletableFuture<Outcome> submit(TaskRequest request) {
    return jobs.submit(request);
  }

  @Override
  public CompletableFuture<Outcome> submit(TaskRequest request, JobQueue.Admission admission) {
    return jobs.submit(request, admission);
  }

  @Override
  public boolean drain(Duration timeout) {
    return jobs.drain(timeout);
  }

  @Override
  public void close() {
    synchronized (this) { // with abandon(): no replacement slot starts after this
      if (!jobs.close()) {
        return;
      }
    }
    for (Slot slot : slots) {
      slot.thread.interrupt();
    }
    for (Slot slot : slots) {
      join(slot.thread);
    }
    for (Slot slot : slots) {
      slot.giveUpIfRunning(); // ignored the interrupt: its outcome must still be settled
    }
    limits.close();
    census.close();
    jobs.failQueued();
    log.info("event=pool-closed kind={} abandoned={}", kind, abandonedThreads());
  }

  /** Threads cannot be killed: interrupts the task and runs its cancel hooks (cooperative). */
  @Override
  public boolean terminate(String taskId, int signal) {
    for (Slot slot : slots) {
      TaskContext ctx = slot.context;
      if (ctx != null && ctx.request().id().equals(taskId)) {
        ctx.cancel("revoked: terminate requested");
        return true;
      }
    }
    return false;
  }

  @Override
  public Set<Long> ownedChildPids() {
    return Set.of();
  }

  @Override
  public Set<Long> releasedSessions() {
    return Set.of();
  }

  /** The census as last taken (on an abandoned thread, or every few seconds); no /proc read. */
  @Override
  public CensusSnapshot lastCensus() {
    return census.latest();
  }

  @Override
  public int abandonedThreads() {
    abandoned.removeIf(t -> !t.isAlive());
    return abandoned.size();
  }

  private void startSlot() {
    Slot slot = new Slot();
    String name = "chervil-" + kind + "-" + threadIds.incrementAndGet();
    Thread.Builder builder =
        virtual ? Thread.ofVirtual().name(name) : Thread.ofPlatform().name(name).daemon(true);
    slot.thread =
        builder.unstarted(
            Watchdog.restarting(() -> jobs.isClosed() || slot.abandonedByLimit, slot));
    slots.add(slot);
    slot.thread.start();
  }

  /**
   * One thread's loop. Leaves when the pool closes, when a hard limit abandoned it, or when it
   * takes a retirement (the pool shrank).
   */
  private final class Slot implements Runnable {
    private Thread thread;
    private volatile boolean abandonedByLimit;
    private volatile Job current;
    private volatile TaskContext context; // for terminate()

    @Override
    public void run() {
      while (!jobs.isClosed() && !abandonedByLimit) {
        Job job;
        try {
          job = jobs.takeBlocking();
        } catch (InterruptedException e) {
          continue; // close() interrupts to wake us; the loop condition decides
        }
        if (job.retiresSlot()) {
          slots.remove(this);
          log.info("event=slot-retired kind={} thread={}", kind, thread.getName());
          return;
        }
        // Counted as running until its future completes, which happens once: at the task's end,
        // or when a hard limit abandons this thread (the thread may run on, the slot is free).
        execute(job);
      }
    }

    private void execute(Job job) {
      current = job;
      TaskRequest request = job.request();
      TaskContext ctx = new TaskContext(request);
      context = ctx;
      Deadline soft = null;
      Deadline hard = null;
      try { // scheduling too: a job this slot took is settled whatever throws
        soft =
            request.limits().soft() == null
                ? null
                : limits.schedule(
                    request.limits().soft(), () -> ctx.cancel("soft time limit exceeded"));
        hard =
            request.limits().hard() == null
                ? null
                : limits.schedule(request.limits().hard(), () -> abandon(job));
        settle(job, runner.run(ctx));
      } catch (Throwable t) { // TaskRunner catches task errors; this is a pool bug or an Error
        settle(job, new Outcome.Lost("thread died running task " + request.id() + ": " + t));
      } finally {
        context = null;
        if (soft != null) {
          soft.cancel();
        }
        if (hard != null) {
          hard.cancel();
        }
        current = null;
      }
    }

    /**
     * The pool closed and this slot's task did not end within the join: the thread is abandoned
     * (counted in the census until it ends) and the task settled as lost, so a closing worker
     * settles every task it started.
     */
    synchronized void giveUpIfRunning() {
      Job job = current;
      if (job == null || job.result().isDone()) {
        return;
      }
      abandoned.add(thread);
      job.result()
          .complete(new Outcome.Lost("pool closed while task " + job.request().id() + " ran"));
      log.warn(
          "event=thread-abandoned kind={} task={} thread={} reason=pool-closed",
          kind,
          job.request().id(),
          thread.getName());
    }

    private synchronized void settle(Job job, Outcome outcome) {
      job.result().complete(outcome);
    }

    /**
     * Hard limit: give up on this thread, settle the task, keep the pool at full size. The thread
     * is counted as abandoned before the outcome is visible, so whoever sees TimeLimitExceeded also
     * sees it in the census; the lock decides the race with the task ending just now.
     */
    private void abandon(Job job) {
      synchronized (this) {
        if (job.result().isDone()) {
          return; // the task ended just before the limit fired
        }
        abandonedByLimit = true;
        abandoned.add(thread);
        job.result().complete(new Outcome.HardKilled(job.request().limits().hard()));
      }
      slots.remove(this);
      thread.interrupt();
      census.requestRefresh();
      log.warn(
          "event=thread-abandoned kind={} task={} thread={} reason=hard-time-limit",
          kind,
          job.request().id(),
          thread.getName());
      synchronized (ThreadPool.this) {
        if (!jobs.isClosed()) {
          startSlot();
        }
      }
    }
  }

  private static void join(Thread t) {
    try {
      t.join(Duration.ofSeconds(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
