package dev.chervil.pool;

import java.util.List;

/**
 * What pool to build. Tasks come from {@link dev.chervil.task.TaskModule} classes named here, so a
 * process pool's children load exactly the same tasks as the worker.
 *
 * @param maxTasksPerChild processes only: recycle a child after this many tasks (null: never)
 * @param maxMemoryPerChild processes only: recycle a child whose RSS exceeds this, in bytes
 */
public record PoolSpec(
    PoolKind kind,
    int size,
    List<String> modules,
    boolean debugTasks,
    boolean virtualThreads,
    Integer maxTasksPerChild,
    Long maxMemoryPerChild) {

  public PoolSpec {
    if (size < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1: " + size);
    }
    modules = modules == null ? List.of() : List.copyOf(modules);
    if (kind == PoolKind.SOLO && size != 1) {
      size = 1;
    }
  }

  public static PoolSpec of(PoolKind kind, int size) {
    return new PoolSpec(kind, size, List.of(), true, false, null, null);
  }

  public PoolSpec withModules(List<String> m) {
    return new PoolSpec(
        kind, size, m, debugTasks, virtualThreads, maxTasksPerChild, maxMemoryPerChild);
  }
}
