package dev.chervil.pool;

import dev.chervil.census.CensusSource;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskRequest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Runs tasks with their time limits. Implementations: {@code SoloPool}, {@code ThreadPool}, {@code
 * ProcessPool}. A pool has a number of slots, changed only by {@link #resize}; {@link #submit}
 * queues when all are busy.
 *
 * <p>Lifecycle: {@link #start()} → {@link #drain} (stop taking, let running finish) → {@link
 * #close()} (stop everything, release every thread and process). All idempotent.
 */
public interface ExecutionPool extends CensusSource, AutoCloseable {

  /** "solo", "threads" or "processes". */
  String kind();

  void start();

  /**
   * Number of slots: tasks that can run at the same time. After {@link #resize} the new number,
   * though a retiring slot may still be finishing its task.
   */
  int size();

  /**
   * Changes the number of slots by {@code delta} (remote control's {@code pool_grow} and {@code
   * pool_shrink}). A new slot takes queued tasks as soon as it is up. Shrinking never stops a
   * running task: an idle slot retires at once, a busy one after its current task, and what it
   * owned (a thread, a child process) is released as when the pool closes. {@link #size()} is the
   * new number when this returns; 0 changes nothing.
   *
   * @return the new size
   * @throws UnsupportedOperationException if this pool cannot change its size (solo)
   * @throws IllegalArgumentException if fewer than one slot would be left
   * @throws IllegalStateException if the pool is draining or closed
   */
  default int resize(int delta) {
    throw new UnsupportedOperationException("the " + kind() + " pool cannot change its size");
  }

  /**
   * The size {@code delta} leads to from {@code size}, for implementations of {@link #resize}.
   *
   * @throws IllegalArgumentException if it is below 1
   */
  static int resized(String kind, int size, int delta) {
    long to = (long) size + delta;
    if (to < 1) {
      throw new IllegalArgumentException(
          "cannot shrink the "
              + kind
              + " pool from "
              + size
              + " by "
              + -delta
              + ": at least one slot must remain");
    }
    if (to > 10_000) { // a typo in n must not start thousands of threads or JVMs
      throw new IllegalArgumentException(
          "cannot grow the " + kind + " pool from " + size + " by " + delta + ": 10000 at most");
    }
    return (int) to;
  }

  /**
   * Runs the task under {@code request.limits()}. The future always completes normally, with the
   * outcome — a pool failure is an {@link Outcome.Lost}, never an exceptional completion.
   *
   * @throws IllegalStateException if the pool is draining or closed
   */
  CompletableFuture<Outcome> submit(TaskRequest request);

  /**
   * As {@link #submit(TaskRequest)}, asking {@code admission} as a slot takes the task: the task's
   * start, where the worker acks early and checks expiry and revocation.
   */
  CompletableFuture<Outcome> submit(TaskRequest request, JobQueue.Admission admission);

  /**
   * Stops the running task {@code taskId} at once (remote control's revoke with terminate): a
   * process pool sends {@code signal} to the child's whole tree and replaces the child; a thread
   * pool can only cancel cooperatively (interrupt and cancel hooks). The task's future completes as
   * usual. False if the task is not running here or the pool cannot stop it.
   */
  default boolean terminate(String taskId, int signal) {
    return false;
  }

  /** Stops taking tasks and waits up to {@code timeout} for the running ones; true if all ended. */
  boolean drain(Duration timeout);

  @Override
  void close();
}
