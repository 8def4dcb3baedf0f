package dev.chervil.census;

import dev.chervil.os.ProcFs;
import dev.chervil.os.ProcStat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Takes a {@link CensusSnapshot} of a process from {@code /proc}. The counts are facts about the
 * process, not the pool's own bookkeeping, so a pool that loses track of a child still shows it.
 */
public final class Census {
  /**
   * Threads the JVM starts and retires by itself (JIT compilers, the common fork-join pool, the
   * JDK's process reapers, attach). They are not the pool's to leak, so they are not counted.
   */
  private static final Pattern ELASTIC_THREADS =
      Pattern.compile(
          "C[12] CompilerThre.*|ForkJoinPool.*|process reaper.*|Attach Listener|"
              + "Common-Cleaner|JFR .*|RMI .*|GC Thread.*|G1 .*");

  private Census() {}

  /** This JVM, with what {@code source} says it owns. */
  public static CensusSnapshot take(CensusSource source) {
    return of(ProcessHandle.current().pid(), source.releasedSessions(), source.abandonedThreads());
  }

  /** Any process by pid, as seen from outside ({@code chervil inspect census}). */
  public static CensusSnapshot ofProcess(long pid) {
    return of(pid, Set.of(), 0);
  }

  private static CensusSnapshot of(long pid, Set<Long> releasedSessions, int abandoned) {
    List<ProcStat> children = ProcFs.childrenOf(pid);
    int live = (int) children.stream().filter(ProcStat::isLive).count();
    int zombies = children.size() - live;
    int orphans =
        releasedSessions.isEmpty()
            ? 0
            : (int)
                ProcFs.matching(s -> s.isLive() && releasedSessions.contains(s.session())).size();
    return new CensusSnapshot(
        live, zombies, orphans, ProcFs.openFds(pid), countedThreads(pid), abandoned);
  }

  private static int countedThreads(long pid) {
    return (int)
        ProcFs.threadNames(pid).stream()
            .filter(name -> !ELASTIC_THREADS.matcher(name).matches())
            .count();
  }
}
