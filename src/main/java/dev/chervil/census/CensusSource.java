package dev.chervil.census;

import java.util.Set;

/** What a pool tells the census about the resources it owns, so the census can tell leaks apart. */
public interface CensusSource {
  /** Pids of the child processes the pool currently owns. */
  Set<Long> ownedChildPids();

  /**
   * Session ids of children the pool has killed or retired; anything alive in them is an orphan.
   */
  Set<Long> releasedSessions();

  /** Threads the pool abandoned to a hard limit and that are still alive. */
  int abandonedThreads();

  /**
   * The census as the pool last took it, for a log line that must not read {@code /proc} (a pool
   * takes one on its own events and every few seconds, see {@link CensusKeeper}). By default, taken
   * now.
   */
  default CensusSnapshot lastCensus() {
    return Census.take(this);
  }

  CensusSource NONE =
      new CensusSource() {
        public Set<Long> ownedChildPids() {
          return Set.of();
        }

        public Set<Long> releasedSessions() {
          return Set.of();
        }

        public int abandonedThreads() {
          return 0;
        }
      };
}
