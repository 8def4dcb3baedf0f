package dev.chervil.census;

/**
 * What the worker process owns at one instant, read from {@code /proc}.
 *
 * @param children live (non-zombie) child processes of the worker
 * @param zombies children that exited and were not reaped yet
 * @param orphans live processes descended from a child the pool has let go (killed or retired)
 * @param fds open file descriptors of the worker
 * @param threads live threads of the worker JVM
 * @param abandoned threads a thread pool gave up on after a hard limit (still alive, counted apart)
 */
public record CensusSnapshot(
    int children, int zombies, int orphans, int fds, int threads, int abandoned) {

  /** The census fields of a log line, {@code children=2 zombies=0 ...}. */
  public String toLogFields() {
    return "children="
        + children
        + " zombies="
        + zombies
        + " orphans="
        + orphans
        + " fds="
        + fds
        + " threads="
        + threads
        + " abandoned="
        + abandoned;
  }
}
