package dev.chervil.pool;

import java.util.Locale;

/** The pools a worker can run tasks in ({@code -P}). */
public enum PoolKind {
  /** One slot in the worker's JVM. */
  SOLO,
  /** N threads in the worker's JVM; a hard limit abandons a stuck thread. */
  THREADS,
  /** N child JVMs; a hard limit kills the child's process tree. */
  PROCESSES;

  public static PoolKind parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown pool '" + s + "': use solo, threads or processes");
    }
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
