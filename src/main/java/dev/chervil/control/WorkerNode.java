package dev.chervil.control;

import java.util.List;
import java.util.Map;

/**
 * What remote control reads from and steers in a worker. Narrow on purpose: the worker implements
 * it in one adapter, so its message path can change without touching remote control.
 */
public interface WorkerNode {
  /** The node name ({@code chervil@host}). */
  String hostname();

  /** Figures for {@code stats}; see {@link NodeStats}. */
  NodeStats stats();

  /** Registered task names, sorted. */
  List<String> registered();

  /** Queues consumed now. */
  List<String> activeQueues();

  /** Starts consuming {@code queue} (declared as the worker declares its queues). */
  void addConsumer(String queue);

  /** Stops consuming {@code queue}; false if it was not consumed. */
  boolean cancelConsumer(String queue);

  /**
   * Stops the task {@code taskId} if it is running now.
   *
   * @param signal the signal number a process pool sends to the child's tree
   */
  Termination terminate(String taskId, int signal);

  /**
   * Changes the pool's size by {@code delta} and the consumers' prefetch with it (Celery's
   * pool_grow and pool_shrink); a shrink lets running tasks end. Null when done, else why it cannot
   * (solo pool, fewer than one slot left, worker shutting down).
   */
  String resizePool(int delta);

  /** Starts a graceful shutdown and returns at once. */
  void shutdown();

  /** Settings as {@code conf} lists them (Celery's setting names where one exists). */
  Map<String, Object> conf();

  /** What a terminate did. */
  enum Termination {
    /** The process running it was killed with the signal and replaced. */
    KILLED,
    /** A thread pool: interrupted and its cancel hooks run; the task must cooperate. */
    CANCELLED_COOPERATIVELY,
    /** It was not running here. */
    NOT_RUNNING
  }

  /**
   * @param totals tasks finished, by name (Celery's {@code total})
   * @param poolKind "processes", "threads" or "solo"
   * @param poolProcesses child pids of a process pool (empty otherwise)
   * @param broker where the worker is connected ({@code hostname, port, userid, virtual_host,
   *     transport})
   */
  record NodeStats(
      Map<String, Long> totals,
      String poolKind,
      int poolSize,
      List<Long> poolProcesses,
      int prefetchCount,
      Map<String, Object> broker,
      long uptimeSeconds) {}
}
