package dev.chervil.pool.process;

import dev.chervil.census.Census;
import dev.chervil.census.CensusKeeper;
import dev.chervil.census.CensusSnapshot;
import dev.chervil.limits.Deadline;
import dev.chervil.limits.DeadlineScheduler;
import dev.chervil.os.ProcFs;
import dev.chervil.os.ProcessTree;
import dev.chervil.os.Subreaper;
import dev.chervil.pool.ExecutionPool;
import dev.chervil.pool.JobQueue;
import dev.chervil.pool.JobQueue.Job;
import dev.chervil.pool.PoolSpec;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskRequest;
import dev.chervil.threads.Watchdog;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supervisor of child JVMs: Celery's prefork pool without its failures. Each slot is a thread
 * that owns one {@link ChildHandle} and, like RQ's worker with its work horse, hands it a task and
 * waits for the outcome. Limits are timed here, from dispatch: the soft limit sends a cancel frame,
 * the hard limit kills the child's whole session. A dead child — killed, crashed, retired — is
 * reaped, its session swept of adopted grandchildren, and replaced.
 *
 * <p>{@link #resize} adds slots (the first takes the warm spare) or retires them through the {@link
 * JobQueue}: a slot that takes a retirement releases its child as a recycled one is released, and
 * ends.
 *
 * <p>One warm spare child waits beside the slots, because a JVM starts far slower than fork(): a
 * slot whose child is gone takes the spare at once and a new spare starts in the background. So
 * when idle the worker has {@link #expectedChildren()} = size + 1 children.
 *
 * <p>Threads: {@link #submit} from any thread; one thread per slot; limits are timed on the {@link
 * DeadlineScheduler} thread, and a hard kill (TERM, grace, KILL rounds) runs on a virtual thread of
 * its own, so a slow kill never delays another slot's deadline; the spare starts on one platform
 * thread that lives as long as the pool (a child's parent-death signal fires when the thread that
 * spawned it ends); reaping and the census belong to the {@link Housekeeper}. No thread reads
 * {@code /proc} per task (only {@code --max-memory-per-child} reads the child's RSS).
 *
 * <p>One class, longer than most, because its parts share one invariant: every child is owned by
 * exactly one slot, or is the spare, or has been released. Slots, spare and release are kept
 * together so that invariant can be checked by reading one file.
 */
public final class ProcessPool implements ExecutionPool {
  private static final Logger log = LoggerFactory.getLogger(ProcessPool.class);
  static final Duration KILL_GRACE = Duration.ofMillis(200);

  private final PoolSpec spec;
  private final ChildLauncher launcher;
  private final Duration startTimeout;
  private final Duration killGrace;
  private final int spares;
  private volatile int size; // written under the pool's lock
  private final AtomicInteger slotIds = new AtomicInteger();
  private final DeadlineScheduler limits = new DeadlineScheduler("chervil-processes-limits");
  private final JobQueue jobs = new JobQueue("processes");
  private final List<Slot> slots = new CopyOnWriteArrayList<>();
  private final AtomicReference<ChildHandle> spare = new AtomicReference<>();
  private final Semaphore spareWanted = new Semaphore(0);
  private final CensusKeeper census = new CensusKeeper(this);
  private final Housekeeper housekeeper = new Housekeeper(census);
  private Thread spareStarter; // null when spares == 0

  public ProcessPool(PoolSpec spec) {
    this(spec, 1, Duration.ofSeconds(60), List.of());
  }

  /**
   * @param spares warm children kept ready beside the slots (0 or more)
   * @param startTimeout how long a child may take from spawn to {@code ready}
   * @param jvmFlags extra flags for the child JVMs
   */
  public ProcessPool(PoolSpec spec, int spares, Duration startTimeout, List<String> jvmFlags) {
    this(spec, spares, startTimeout, jvmFlags, KILL_GRACE);
  }

  /** As above, with the grace between SIGTERM and SIGKILL of a hard kill (tests lengthen it). */
  ProcessPool(
      PoolSpec spec, int spares, Duration startTimeout, List<String> jvmFlags, Duration killGrace) {
    this.spec = spec;
    this.spares = spares;
    this.size = spec.size();
    this.startTimeout = startTimeout;
    this.killGrace = killGrace;
    this.launcher = new ChildLauncher(spec, jvmFlags);
  }

  @Override
  public String kind() {
    return "processes";
  }

  @Override
  public int size() {
    return size;
  }

  /** Children alive when the pool is idle and healthy: one per slot plus the spares. */
  public int expectedChildren() {
    return size + spares;
  }

  @Override
  public synchronized int resize(int delta) {
    int from = size;
    size = jobs.resize(from, delta, this::startSlot);
    log.info("event=pool-resized kind=processes from={} to={}", from, size);
    return size;
  }

  @Override
  public synchronized void start() {
    if (!jobs.open()) {
      return;
    }
    if (!Subreaper.install()) {
      log.warn(
          "event=subreaper-unavailable reason=\"grandchildren of killed children go to init\"");
    }
    housekeeper.start();
    for (int i = 0; i < size; i++) {
      startSlot();
    }
    if (spares > 0) {
      spareStarter =
          Thread.ofPlatform()
              .name("chervil-processes-spare")
              .daemon(true)
              .start(Watchdog.restarting(jobs::isClosed, this::keepSpareReady));
      refillSpare();
    }
    log.info(
        "event=pool-started kind=processes size={} spares={} max_tasks_per_child={} max_memory_per_child={}",
        size,
        spares,
        spec.maxTasksPerChild(),
        spec.maxMemoryPerChild());
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

  /** Kills every child's tree, reaps it and its adopted grandchildren; ends every pool thread. */
  @Override
  public void close() {
    if (!jobs.close()) {
      return;
    }
    for (Slot slot : slots) {
      slot.abort();
    }
    Thread starter = spareStarter;
    if (starter != null) {
      starter.interrupt(); // a spare still starting is killed and reaped by its own thread
    }
    for (Slot slot : slots) {
      join(slot.thread);
    }
    if (starter != null) {
      join(starter); // no child left behind: close() returns after the spare's start ended
    }
    ChildHandle last = spare.getAndSet(null);
    if (last != null) {
      release(last);
    }
    limits.close();
    jobs.failQueued();
    int left = housekeeper.close(Duration.ofSeconds(2));
    log.info("event=pool-closed kind=processes orphans_left={}", left);
  }

  @Override
  public Set<Long> ownedChildPids() {
    Set<Long> pids = new HashSet<>();
    for (Slot slot : slots) {
      ChildHandle c = slot.child;
      if (c != null) {
        pids.add(c.pid());
      }
    }
    ChildHandle s = spare.get();
    if (s != null) {
      pids.add(s.pid());
    }
    return pids;
  }

  /** Released sessions with members left, as of the housekeeper's last sweep. No side effect. */
  @Override
  public boolean terminate(String taskId, int signal) {
    for (Slot slot : slots) {
      ChildHandle c = slot.child;
      if (c != null && c.terminateTask(taskId, signal, KILL_GRACE)) {
        return true; // the slot sees end of stream, settles the task and replaces the child
      }
    }
    return false;
  }

  @Override
  public Set<Long> releasedSessions() {
    return housekeeper.releasedSessions();
  }

  /** The census as last taken on a pool event or by the housekeeper's timer; no /proc read. */
  @Override
  public CensusSnapshot lastCensus() {
    return census.latest();
  }

  @Override
  public int abandonedThreads() {
    return 0; // a stuck task is killed with its process, never abandoned
  }

  private void startSlot() {
    Slot slot = new Slot(slotIds.incrementAndGet());
    slots.add(slot);
    slot.thread.start();
  }

  // ---- children ----

  /** The spare if one is ready, else a child started now; a new spare starts in the background. */
  private ChildHandle takeChild() throws ChildStartException {
    ChildHandle c = spare.getAndSet(null);
    refillSpare();
    if (c != null && c.isAlive()) {
      return c;
    }
    if (c != null) {
      release(c);
    }
    ChildHandle started = ChildHandle.start(launcher, startTimeout);
    housekeeper.poolChanged();
    return started;
  }

  private void refillSpare() {
    if (spares > 0 && spareWanted.availablePermits() == 0) {
      spareWanted.release();
    }
  }

  /**
   * The spare starter's loop: whenever asked and no spare is there, starts one. An interrupt from
   * close() ends a start in progress (the child is killed and reaped by ChildHandle.start) and the
   * loop.
   */
  private void keepSpareReady() {
    while (!jobs.isClosed()) {
      try {
        spareWanted.acquire();
      } catch (InterruptedException e) {
        return;
      }
      if (jobs.state() != JobQueue.State.RUNNING || spare.get() != null) {
        continue;
      }
      try {
        ChildHandle c = ChildHandle.start(launcher, startTimeout);
        housekeeper.poolChanged();
        if (jobs.state() != JobQueue.State.RUNNING || !spare.compareAndSet(null, c)) {
          release(c);
        }
      } catch (ChildStartException e) {
        if (jobs.isClosed()) {
          return;
        }
        log.warn("event=child-start-failed role=spare reason=\"{}\"", e.getMessage());
      }
    }
  }

  /** Reaps a child that is done with; the housekeeper sweeps what its session left behind. */
  private void release(ChildHandle c) {
    housekeeper.released(c.pid());
    c.release(killGrace);
    housekeeper.poolChanged();
  }

  /**
   * Hard limit, on a virtual thread of its own (never the limit timer's): kills the child's session
   * and logs it with a fresh census; the slot sees end of stream and settles the task.
   */
  private void hardKill(ChildHandle running, String id, Duration limit) {
    ProcessTree.KillReport report = running.killForLimit(id, limit, killGrace);
    if (report == null) {
      return; // the task ended first, or the child was released
    }
    log.info(
        "event=child-killed pid={} task={} limit_ms={} terminated={} killed={} took_ms={} {}",
        running.pid(),
        id,
        limit.toMillis(),
        report.terminated(),
        report.killed(),
        report.took().toMillis(),
        Census.take(this).toLogFields());
    housekeeper.poolChanged();
  }

  private static void join(Thread t) {
    try {
      t.join(Duration.ofSeconds(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- slots ----

  /**
   * One slot: a thread that owns one child at a time and runs tasks on it, until the pool closes or
   * the slot takes a retirement.
   */
  private final class Slot implements Runnable {
    private final Thread thread;
    private volatile ChildHandle child;

    Slot(int index) {
      this.thread =
          Thread.ofPlatform()
              .name("chervil-processes-" + index)
              .daemon(true)
              .unstarted(Watchdog.restarting(jobs::isClosed, this));
    }

    @Override
    public void run() {
      replaceChild();
      while (!jobs.isClosed()) {
        Job job;
        try {
          job = jobs.take();
        } catch (InterruptedException e) {
          continue; // close() interrupts to wake us; the loop condition decides
        }
        if (job != null && job.retiresSlot()) {
          retire();
          return;
        }
        if (job == null) {
          ChildHandle idle = child;
          if (idle != null && !idle.isAlive() && !jobs.isClosed()) {
            log.warn(
                "event=child-lost pid={} task=none reason=\"{}\"", idle.pid(), idle.describeExit());
            replaceChild(); // died while idle (killed from outside): heal before the next task
          }
          ChildHandle waiting = spare.get();
          if (waiting != null && !waiting.isAlive() && spare.compareAndSet(waiting, null)) {
            release(waiting); // the spare died while waiting: start another
            refillSpare();
          }
        } else {
          Outcome outcome;
          try {
            outcome = execute(job.request());
          } catch (RuntimeException | Error e) { // settled here; the watchdog restarts the loop
            job.result().complete(new Outcome.Lost("slot failed running its task: " + e));
            throw e;
          }
          job.result().complete(outcome);
          afterTask();
        }
      }
      ChildHandle c = child;
      child = null;
      if (c != null) {
        release(c);
      }
    }

    /**
     * The pool shrank: releases the child as a recycled one is released (the housekeeper reaps it
     * and sweeps its session) and leaves the pool. Its task, if it had one, has ended already.
     */
    private void retire() {
      ChildHandle c = child;
      child = null;
      if (c != null) {
        log.info("event=child-retired pid={} reason=pool-shrink tasks={}", c.pid(), c.tasksRun());
        release(c);
      }
      // Only now: close() joins the threads of listed slots, so a release in progress is waited
      // for.
      slots.remove(this);
    }

    /**
     * Called by close(): kills the child so a task in flight ends now (its result read sees end of
     * stream); the slot thread itself then releases the child and leaves.
     */
    void abort() {
      ChildHandle c = child;
      if (c != null) {
        c.kill(killGrace);
      }
      thread.interrupt();
    }

    private Outcome execute(TaskRequest request) {
      ChildHandle c = child;
      if (c == null || !c.isAlive()) {
        if (!replaceChild()) {
          return new Outcome.Lost("no child process could be started for task " + request.id());
        }
        c = child;
      }
      if (!c.send(request)) { // died while idle: the task never started, so give it a fresh child
        if (!replaceChild() || !(c = child).send(request)) {
          return new Outcome.Lost("child process died before task " + request.id() + " started");
        }
      }
      final ChildHandle running = c;
      String id = request.id();
      Deadline soft =
          request.limits().soft() == null
              ? null
              : limits.schedule(
                  request.limits().soft(),
                  () ->
                      running.cancel(
                          id,
                          "soft time limit ("
                              + request.limits().soft().toMillis() / 1000.0
                              + "s) exceeded"));
      Deadline hard =
          request.limits().hard() == null
              ? null
              : limits.schedule(
                  request.limits().hard(),
                  () ->
                      Thread.ofVirtual()
                          .name("chervil-processes-kill")
                          .start(() -> hardKill(running, id, request.limits().hard())));
      Outcome outcome = running.awaitOutcome();
      if (soft != null) {
        soft.cancel();
      }
      if (hard != null) {
        hard.cancel();
      }
      if (outcome != null) {
        return outcome;
      }
      if (running.killedBy() != null) {
        return new Outcome.HardKilled(running.killedBy());
      }
      if (jobs.isClosed()) {
        return new Outcome.Lost("pool closed while task " + id + " ran in " + running);
      }
      if (running.terminatedWith() != null) { // remote control's terminate, not a crash
        return new Outcome.Lost(
            "terminated by remote control with signal " + running.terminatedWith());
      }
      String why = running.describeExit();
      log.warn("event=child-lost pid={} task={} reason=\"{}\"", running.pid(), id, why);
      housekeeper.poolChanged();
      return new Outcome.Lost(why);
    }

    /** Recycles the child if it died, ran its quota of tasks or grew past the memory limit. */
    private void afterTask() {
      ChildHandle c = child;
      if (c == null) {
        return;
      }
      String reason = null;
      if (!c.isAlive()) {
        reason = "dead";
      } else if (spec.maxTasksPerChild() != null && c.tasksRun() >= spec.maxTasksPerChild()) {
        reason = "max-tasks";
      } else if (spec.maxMemoryPerChild() != null
          && ProcFs.rssBytes(c.pid()) > spec.maxMemoryPerChild()) {
        reason = "max-memory";
      }
      if (reason != null && !jobs.isClosed()) {
        log.debug("event=child-retired pid={} reason={} tasks={}", c.pid(), reason, c.tasksRun());
        replaceChild();
      }
    }

    /** Releases the current child (if any) and installs a live one; false if none could start. */
    private boolean replaceChild() {
      ChildHandle old = child;
      child = null;
      if (old != null) {
        release(old);
      }
      while (!jobs.isClosed()) {
        try {
          child = takeChild();
          return true;
        } catch (ChildStartException e) {
          log.error(
              "event=child-start-failed slot={} reason=\"{}\"", thread.getName(), e.getMessage());
          try {
            Thread.sleep(1000); // do not spin on a broken JVM command line
          } catch (InterruptedException ie) {
            return false;
          }
          if (!jobs.isEmpty() && jobs.state() != JobQueue.State.RUNNING) {
            return false;
          }
        }
      }
      return false;
    }
  }
}
