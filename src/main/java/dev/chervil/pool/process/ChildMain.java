package dev.chervil.pool.process;

import dev.chervil.Chervil;
import dev.chervil.os.Posix;
import dev.chervil.os.ProcessTree;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.pool.process.FrameChannel.Frame;
import dev.chervil.pool.process.Frames.Run;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskContext;
import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskError;
import dev.chervil.task.TaskRegistry;
import dev.chervil.task.TaskRequest;
import dev.chervil.task.TaskRunner;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The entry point of a process-pool child JVM. It leads its own session (so the supervisor can kill
 * its whole tree), loads the same tasks as the worker, says {@code ready}, then runs one task at a
 * time. Two threads take turns (leader and follower): the one reading the channel when a run frame
 * comes hands the reading to the other and runs that task itself, then writes its result and waits
 * for its next turn to read. So a {@code cancel} frame always finds a reader while a task runs, and
 * no task waits for a thread to be woken: a hand-off from a reading thread to a task thread cost a
 * wake-up per task (~60 µs on a 2-core VM, more than a no-op task), on the path of every result;
 * now the wake-up of the next reader overlaps the task.
 *
 * <p>It does not outlive its supervisor, and neither does anything it started: end of input (the
 * supervisor released it, or died) and the parent-death signal both kill the rest of its session
 * and exit. The frame channel is moved off fd 1 at start-up and fd 1 is pointed at stderr, so what
 * the JVM itself prints to stdout (the {@code -XX:+ExitOnOutOfMemoryError} message) cannot corrupt
 * it.
 *
 * <p>Arguments: {@code [--parent-pid <pid>] [--debug-tasks] [--module <TaskModule class>]...}.
 */
public final class ChildMain {
  /** Test-only: sleep a random 0..N ms before the handshake, to shuffle recycling. */
  static final String START_DELAY_PROPERTY = "chervil.test.childStartDelayMaxMs";

  /** How long a task's own subprocesses get between SIGTERM and SIGKILL when the child exits. */
  private static final Duration SESSION_GRACE = Duration.ofMillis(200);

  private static final String TASK_THREAD = "chervil-child-task";
  private static final String IDLE_THREAD = "chervil-child-idle";
  private static final AtomicBoolean exiting = new AtomicBoolean();

  private final TaskRunner runner;
  private final FrameChannel channel;
  private final Semaphore readTurn = new Semaphore(1); // held by the thread reading the channel
  private final Object lock = new Object();
  private String runningId; // guarded by lock; set by the reader, so a cancel never misses
  private TaskContext
      runningCtx; // guarded by lock; null until the thread running the task built it
  private String cancelReason; // guarded by lock; a cancel that came before the context

  private ChildMain(TaskRunner runner, FrameChannel channel) {
    this.runner = runner;
    this.channel = channel;
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    OutputStream frames = privateFrameStream();
    System.setOut(System.err); // a task's println must never land on the frame channel
    long sid = Posix.setsid();
    dieWithParent(options.parentPid()); // after setsid: only a session leader gets a terminal
    long delay = Long.getLong(START_DELAY_PROPERTY, 0);
    if (delay > 0) {
      Thread.sleep(ThreadLocalRandom.current().nextLong(delay + 1));
    }
    TaskRunner runner = new TaskRunner(Chervil.registry(options.spec()));
    warmUp();
    FrameChannel channel = new FrameChannel(System.in, frames);
    channel.write(Frames.ready(Posix.getpid(), sid));
    ChildMain child = new ChildMain(runner, channel);
    Thread.ofPlatform().name(IDLE_THREAD).daemon(true).start(child::takeTurns);
    Thread.currentThread().setName(IDLE_THREAD);
    child.takeTurns(); // never returns: end of input exits
  }

  /**
   * Dies with the supervisor even when wedged: prctl(PR_SET_PDEATHSIG, SIGKILL). The signal comes
   * when the supervisor <em>thread</em> that spawned us ends, so the pool spawns only from threads
   * that live as long as it does. If the parent died before the prctl, we are already an orphan.
   *
   * <p>A SIGKILL leaves no time to clean up, and the children run with {@code -Xrs} (no JVM signal
   * handlers: a Java handler would never be called). So the task's subprocesses are taken down by
   * the kernel instead: this session leader holds a controlling terminal of its own, and when a
   * controlling process dies, however it dies, the kernel hangs up its terminal's foreground group
   * — our own process group, where a task's subprocesses are unless they moved.
   */
  private static void dieWithParent(long parentPid) {
    try {
      Posix.acquireControllingTerminal();
    } catch (RuntimeException e) {
      System.err.println("chervil child: no controlling terminal: " + e.getMessage());
    }
    Posix.setParentDeathSignal(Posix.SIGKILL);
    if (parentPid > 0 && Posix.getppid() != parentPid) {
      exit(0);
    }
  }

  /**
   * Opens the frame pipe anew from {@code /proc/self/fd/1} (append mode: never truncates), then
   * points fd 1 at stderr. Whatever writes to fd 1 from now on — the JVM's own messages, native
   * code — lands in the worker's log, not in the frame stream.
   */
  private static OutputStream privateFrameStream() throws IOException {
    FileOutputStream frames = new FileOutputStream("/proc/self/fd/1", true);
    Posix.dup2(2, 1);
    return frames;
  }

  /** Kills the rest of the session (a task's subprocesses) and halts; once, from any thread. */
  private static void exit(int code) {
    if (!exiting.compareAndSet(false, true)) {
      return;
    }
    try {
      ProcessTree.killOwnSessionMembers(SESSION_GRACE);
    } catch (RuntimeException e) {
      System.err.println("chervil child: session not cleaned: " + e);
    }
    // halt, not exit: a thread whose task ignored its cancel must not keep the JVM alive, and
    // there is nothing to run on the way out (the supervisor holds message, ack and result).
    Runtime.getRuntime().halt(code);
  }

  /**
   * One of the two threads' loop: wait for the turn to read, read until a run frame comes, pass the
   * turn on, run the task here and report it. End of input (the supervisor released this child, or
   * died) exits the JVM.
   */
  private void takeTurns() {
    while (true) {
      readTurn.acquireUninterruptibly();
      Run run;
      try {
        run = readUntilRun();
      } catch (IOException e) {
        System.err.println("chervil child: frame channel broken: " + e.getMessage());
        exit(1);
        return;
      }
      if (run == null) {
        exit(0);
        return;
      }
      readTurn.release(); // the other thread reads now: cancel frames for this task, the next run
      runAndReport(run);
    }
  }

  /** Reads frames, applying cancels, until a run frame; null at end of input. */
  private Run readUntilRun() throws IOException {
    Frame frame;
    while ((frame = channel.read()) != null) {
      switch (frame.type()) {
        case "run" -> {
          Run run = new Run(frame.header(), frame.payload());
          synchronized (lock) {
            if (runningId != null) { // the supervisor sends one task at a time
              System.err.println(
                  "chervil child: run frame while busy, task " + run.id() + " not run");
              continue;
            }
            runningId = run.id();
            runningCtx = null;
            cancelReason = null;
          }
          return run;
        }
        case "cancel" ->
            cancel((String) frame.header().get("id"), (String) frame.header().get("reason"));
        default -> System.err.println("chervil child: unknown frame " + frame.type());
      }
    }
    return null;
  }

  private void cancel(String id, String reason) {
    TaskContext ctx;
    synchronized (lock) {
      if (!id.equals(runningId)) {
        return; // a late cancel for a task that already ended
      }
      ctx = runningCtx;
      if (ctx == null) {
        cancelReason = reason; // the thread running the task applies it once its context exists
        return;
      }
    }
    ctx.cancel(reason);
  }

  /** Decodes, runs and reports one task on the calling thread. */
  private void runAndReport(Run run) {
    Thread self = Thread.currentThread();
    self.setName(TASK_THREAD); // what an observer of /proc sees: this child is busy
    Frame result = Frames.result(run.id(), execute(run));
    synchronized (lock) {
      runningId = null;
      runningCtx = null;
    }
    Thread.interrupted(); // a soft limit that fired after the task ended must not reach the next
    self.setName(IDLE_THREAD);
    try {
      channel.write(result.header(), result.payload());
    } catch (IOException e) {
      exit(0); // the supervisor is gone: nobody to report to
    }
  }

  private Outcome execute(Run run) {
    TaskRequest request;
    try {
      request = Frames.request(run);
    } catch (RuntimeException e) {
      return new Outcome.Failed(
          new TaskError(
              "DecodeError", String.valueOf(e.getMessage()), "kombu.exceptions", null, List.of()));
    }
    TaskContext ctx = new TaskContext(request);
    String early;
    synchronized (lock) {
      runningCtx = ctx;
      early = cancelReason;
    }
    // A cancel for an earlier task may have interrupted this thread after that task ended, while it
    // was reading (a read of a pipe ignores interrupts): cleared here, before this task binds its
    // context, which re-delivers a cancel of its own.
    Thread.interrupted();
    if (early != null) {
      ctx.cancel(early);
    }
    return runner.runRaw(ctx);
  }

  /**
   * Takes one task through the whole path in memory (run frame encoded and decoded, arguments
   * decoded, task run, result encoded and decoded) before saying ready. A child often starts as the
   * warm spare; this way its first real task does not pay for class loading and the codec's first
   * use (~50 ms measured).
   */
  private static void warmUp() throws IOException {
    TaskRunner runner =
        new TaskRunner(
            new TaskRegistry()
                .register(
                    TaskDefinition.named("chervil.child.warm_up")
                        .varArgs()
                        .handler((ctx, a) -> List.of(a))));
    ByteArrayOutputStream written = new ByteArrayOutputStream();
    FrameChannel out = new FrameChannel(InputStream.nullInputStream(), written);
    TaskRequest warm = TaskRequest.of("warm-up", "chervil.child.warm_up", List.of(1, "two"));
    out.write(Frames.runHeader(warm), Frames.runPayload(warm));
    FrameChannel in =
        new FrameChannel(
            new ByteArrayInputStream(written.toByteArray()), OutputStream.nullOutputStream());
    Frame frame = in.read();
    TaskRequest request = Frames.request(new Run(frame.header(), frame.payload()));
    Frame result = Frames.result(request.id(), runner.runRaw(new TaskContext(request)));
    written.reset();
    out.write(result.header(), result.payload());
    Frames.outcome(
        new FrameChannel(
                new ByteArrayInputStream(written.toByteArray()), OutputStream.nullOutputStream())
            .read());
  }

  private record Options(long parentPid, PoolSpec spec) {
    static Options parse(String[] args) {
      boolean debugTasks = false;
      long parentPid = 0;
      List<String> modules = new ArrayList<>();
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--debug-tasks" -> debugTasks = true;
          case "--module" -> modules.add(args[++i]);
          case "--parent-pid" -> parentPid = Long.parseLong(args[++i]);
          default -> throw new IllegalArgumentException("unknown child argument " + args[i]);
        }
      }
      return new Options(
          parentPid, new PoolSpec(PoolKind.PROCESSES, 1, modules, debugTasks, false, null, null));
    }
  }
}
