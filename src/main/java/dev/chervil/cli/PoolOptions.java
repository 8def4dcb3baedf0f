package dev.chervil.cli;

import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import java.util.List;
import picocli.CommandLine.Option;

/** How tasks are run: the pool, its size, and which task modules it loads. */
final class PoolOptions {
  @Option(
      names = {"-P", "--pool"},
      defaultValue = "threads",
      description = "solo, threads or processes. Default: ${DEFAULT-VALUE}.")
  String pool;

  @Option(
      names = {"-c", "--concurrency"},
      description = "Number of slots. Default: the number of CPUs.")
  Integer concurrency;

  @Option(
      names = {"-A", "--app"},
      split = ",",
      description = "TaskModule classes to load (on the classpath), comma-separated.")
  List<String> modules = List.of();

  @Option(names = "--no-debug-tasks", description = "Do not register the chervil.debug.* tasks.")
  boolean noDebugTasks;

  @Option(
      names = "--virtual-threads",
      description = "With -P threads: run tasks on virtual threads.")
  boolean virtualThreads;

  @Option(
      names = "--max-tasks-per-child",
      description = "With -P processes: recycle a child after N tasks.")
  Integer maxTasksPerChild;

  @Option(
      names = "--max-memory-per-child",
      description =
          "With -P processes: recycle a child whose RSS exceeds this many KiB (Celery's unit).")
  Long maxMemoryPerChildKib;

  PoolSpec toSpec() {
    int size = concurrency != null ? concurrency : Runtime.getRuntime().availableProcessors();
    return new PoolSpec(
        PoolKind.parse(pool),
        size,
        modules,
        !noDebugTasks,
        virtualThreads,
        maxTasksPerChild,
        maxMemoryPerChildKib == null ? null : maxMemoryPerChildKib * 1024);
  }
}
