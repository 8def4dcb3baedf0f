package dev.chervil.pool.process;

import dev.chervil.os.Posix;
import dev.chervil.os.ProcessTree;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskRequest;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One child JVM and everything that belongs to it: the process, its frame channel, the task it is
 * running and whether a hard limit killed it. The pool keys nothing by pid or fd; it holds these.
 * The channel is closed and the process reaped exactly once, in {@link #release()}.
 *
 * <p>Threads: the owning slot thread sends tasks and reads results; the limit timer may call {@link
 * #cancel} and {@link #killForLimit}, which only act if the named task is still the one running, so
 * a late timer can never hit the child's next task.
 */
final class ChildHandle {
  private static final Logger log = LoggerFactory.getLogger(ChildHandle.class);

  private final Process process;
  private final FrameChannel channel;
  private final long pid;
  private volatile String runningTaskId;
  private volatile Duration killedBy;
  private volatile Integer terminatedWith; // the signal of a remote terminate
  private volatile boolean ended; // its channel reached end of stream: dead, or as good as
  private boolean released;
  private int tasksRun; // slot thread only

  private ChildHandle(Process process, FrameChannel channel) {
    this.process = process;
    this.channel = channel;
    this.pid = process.pid();
  }

  /** Spawns a child and waits for its {@code ready}; on any failure nothing is left running. */
  static ChildHandle start(ChildLauncher launcher, Duration timeout) throws ChildStartException {
    long t0 = System.nanoTime();
    Process process;
    try {
      process = launcher.spawn();
    } catch (IOException e) {
      throw new ChildStartException("cannot spawn a child JVM: " + e.getMessage(), e);
    }
    ChildHandle child =
        new ChildHandle(
            process, new FrameChannel(process.getInputStream(), process.getOutputStream()));
    CompletableFuture<FrameChannel.Frame> ready = new CompletableFuture<>();
    Thread.ofVirtual()
        .name("chervil-child-handshake")
        .start(
            () -> {
              try {
                ready.complete(child.channel.read());
              } catch (IOException e) {
                ready.completeExceptionally(e);
              }
            });
    try {
      FrameChannel.Frame frame = ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (frame == null || !"ready".equals(frame.type())) {
        throw new ChildStartException("child pid " + child.pid + " exited before its handshake");
      }
      long sid = ((Number) frame.header().get("sid")).longValue();
      if (sid != child.pid) {
        throw new ChildStartException(
            "child pid " + child.pid + " leads session " + sid + ", not its own");
      }
      // Found in its session and signalable (signal 0 sends nothing): checked now rather than
      // at its hard limit, and the first kill no longer pays for loading and linking that path.
      if (ProcessTree.liveMembers(sid).isEmpty() || !Posix.kill(child.pid, 0)) {
        throw new ChildStartException("child pid " + child.pid + " cannot be found or signalled");
      }
    } catch (TimeoutException e) {
      child.destroy();
      child.release(Duration.ZERO);
      throw new ChildStartException("child pid " + child.pid + " not ready within " + timeout);
    } catch (ExecutionException e) {
      child.destroy();
      child.release(Duration.ZERO);
      throw new ChildStartException(
          "child pid " + child.pid + " broke the handshake: " + e.getCause().getMessage(), e);
    } catch (InterruptedException e) {
      child.destroy();
      child.release(Duration.ZERO);
      Thread.currentThread().interrupt();
      throw new ChildStartException("interrupted while child pid " + child.pid + " started");
    } catch (ChildStartException e) {
      child.destroy();
      child.release(Duration.ZERO);
      throw e;
    }
    log.debug(
        "event=child-started pid={} took_ms={}", child.pid, (System.nanoTime() - t0) / 1_000_000);
    return child;
  }

  long pid() {
    return pid;
  }

  int tasksRun() {
    return tasksRun;
  }

  /** False once the process exited or its channel ended (the JDK may not have reaped it yet). */
  boolean isAlive() {
    return !ended && process.isAlive();
  }

  /** Hands the task to the child; false if the child is gone (the task never started). */
  boolean send(TaskRequest request) {
    runningTaskId = request.id();
    try {
      channel.write(Frames.runHeader(request), Frames.runPayload(request));
      tasksRun++;
      return true;
    } catch (IOException e) {
      runningTaskId = null;
      return false;
    }
  }

  /**
   * Waits for the running task's result. Results the child wrote before dying are read first: only
   * end of stream with no result means the task was lost. Null then.
   */
  Outcome awaitOutcome() {
    String id = runningTaskId;
    try {
      FrameChannel.Frame frame;
      while ((frame = channel.read()) != null) {
        if ("result".equals(frame.type()) && id.equals(frame.header().get("id"))) {
          runningTaskId = null;
          return Frames.outcome(frame);
        }
        log.warn("event=child-frame-unexpected pid={} task={} frame={}", pid, id, frame.type());
      }
    } catch (IOException | RuntimeException e) {
      log.warn("event=child-channel-broken pid={} task={} reason=\"{}\"", pid, id, e.getMessage());
      destroy(); // a child whose channel is out of step cannot be trusted with another task
    }
    runningTaskId = null;
    ended = true;
    return null;
  }

  /** Soft limit: asks the child to cancel {@code taskId} if it is still running it. */
  void cancel(String taskId, String reason) {
    if (taskId.equals(runningTaskId)) {
      try {
        channel.write(Frames.cancel(taskId, reason));
      } catch (IOException e) {
        // the child died meanwhile; awaitOutcome will see it
      }
    }
  }

  /**
   * Hard limit: kills the child's whole session if it is still running {@code taskId}; the report,
   * or null if the task had ended or the child was released.
   */
  synchronized ProcessTree.KillReport killForLimit(String taskId, Duration limit, Duration grace) {
    if (!taskId.equals(runningTaskId) || released) {
      return null;
    }
    killedBy = limit;
    return ProcessTree.kill(pid, grace);
  }

  /**
   * Remote terminate: sends {@code signal} to the child's session if it still runs {@code taskId},
   * then the usual session kill (TERM, grace, KILL) so nothing of its tree survives. True if sent.
   */
  synchronized boolean terminateTask(String taskId, int signal, Duration grace) {
    if (!taskId.equals(runningTaskId) || released) {
      return false;
    }
    terminatedWith = signal;
    Posix.killGroup(pid, signal);
    ProcessTree.KillReport report = ProcessTree.kill(pid, grace);
    log.info(
        "event=child-terminated pid={} task={} signal={} killed={} took_ms={}",
        pid,
        taskId,
        signal,
        report.killed(),
        report.took().toMillis());
    return true;
  }

  /** The signal a remote terminate sent this child, or null if none did. */
  Integer terminatedWith() {
    return terminatedWith;
  }

  /** The hard limit that killed this child, or null if none did. */
  Duration killedBy() {
    return killedBy;
  }

  /** Kills whatever is left of the child's session, closes its channel and reaps it. Once. */
  synchronized int release(Duration grace) {
    if (!released) {
      released = true;
      channel.close(); // a live child reads end of input and exits by itself
      waitFor(Duration.ofSeconds(2));
      ProcessTree.kill(pid, grace); // its session may outlive it: a task's own subprocesses
    }
    return waitFor(Duration.ofSeconds(10));
  }

  /** The exit, in words, for a WorkerLostError. */
  String describeExit() {
    int code = waitFor(Duration.ofSeconds(5));
    if (code > 128) {
      return "child pid " + pid + " was killed by signal " + (code - 128);
    }
    return "child pid " + pid + " exited with code " + code;
  }

  /** Kills the child's session (TERM, grace, KILL) without reaping: its owner does that. */
  synchronized void kill(Duration grace) {
    if (!released) {
      ProcessTree.kill(pid, grace);
    }
  }

  /** Kills the child outright; also before its setsid(), when its session does not exist yet. */
  private void destroy() {
    process.destroyForcibly();
    ProcessTree.kill(pid, Duration.ZERO);
  }

  /**
   * Waits for the exit (which reaps the child) even when interrupted: close() interrupts the slot
   * threads, and a reap given up halfway leaves a zombie. The interrupt is kept for the caller.
   */
  private int waitFor(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean interrupted = false;
    try {
      while (true) {
        try {
          long left = deadline - System.nanoTime();
          if (process.waitFor(Math.max(0, left), TimeUnit.NANOSECONDS)) {
            return process.exitValue();
          }
          return -1;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return "child pid " + pid;
  }
}
