package dev.chervil.pool;

import dev.chervil.census.CensusSource;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskRequest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Runs tasks with their time limits. Implementations: {@code SoloPool}, {@code ThreadPool}, {@code
 * ProcessPool}. A pool has a fixed number of slots; {@link #submit} queues when all are busy.
 *
 * <p>Lifecycle: {@link #start()} → {@link #drain} (stop taking, let running finish) → {@link
 * #close()} (stop everything, release every thread and process). All idempotent.
 */
public interface ExecutionPool extends CensusSource, AutoCloseable {

  /** "solo", "threads" or "processes". */
  String kind();

  void start();

  /** Number of slots: tasks that can run at the same time. */
  int size();

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
