package dev.chervil.os;

import dev.chervil.threads.Watchdog;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes this JVM the reaper of its orphaned descendants, and reaps them for as long as it lives.
 *
 * <p>Without it a grandchild whose parent was killed is re-parented to pid 1, which in a container
 * may never reap it. As a subreaper the JVM adopts it instead, and must then reap it itself.
 *
 * <p>The JDK reaps the processes it started: a thread per child blocks in {@code waitpid(pid)}.
 * Whoever calls waitpid first takes the exit status; the loser gets ECHILD, and the JDK then
 * reports a wrong exit value. So there are two safe rules, and this class reaps by nothing else:
 *
 * <ul>
 *   <li>{@link #reapAdopted}: members of a session the caller has released that are not its leader.
 *       The leader is the process {@link ProcessBuilder} started; everything else in the session
 *       was started by it and reached us only by adoption. Used at once, when a child is released.
 *   <li>The sweeper thread: a zombie child seen on two sweeps in a row. The JDK's reaper is already
 *       blocked in waitpid when its process exits, so its zombies last microseconds; a zombie still
 *       there {@link #SWEEP_EVERY} later has nobody waiting for it. This catches the adopted
 *       orphans no pool knows about: leftovers of a closed pool, of a tool a task ran, of any code
 *       in this JVM whose own child died before its grandchild did.
 * </ul>
 */
public final class Subreaper {
  static final Duration SWEEP_EVERY = Duration.ofMillis(500);
  private static final Logger log = LoggerFactory.getLogger(Subreaper.class);
  private static volatile boolean installed;

  private Subreaper() {}

  /**
   * Makes this JVM a child subreaper once (idempotent) and starts the sweeper; returns true if it
   * is one afterwards. The role cannot be given up, so neither is the sweeper ever stopped.
   */
  public static boolean install() {
    if (!installed) {
      synchronized (Subreaper.class) {
        if (!installed) {
          try {
            Posix.becomeChildSubreaper();
          } catch (PosixException e) {
            return false; // e.g. a seccomp filter refusing prctl; the caller decides how loud
          }
          installed = Posix.isChildSubreaper();
          if (installed) {
            // Virtual: it sleeps almost always, and is not a platform thread for a census to count.
            Thread.ofVirtual()
                .name("chervil-subreaper")
                .start(Watchdog.restarting(() -> false, Subreaper::sweepForever));
          }
        }
      }
    }
    return installed;
  }

  /**
   * Reaps zombie children of this JVM that belong to one of {@code sessions} but are not a session
   * leader (pid != sid): grandchildren the kernel re-parented to us, which the JDK never started,
   * so reaping them cannot steal an exit status a {@link Process} is waiting for. Session leaders
   * are left for the JDK. Returns how many were reaped.
   */
  public static int reapAdopted(Set<Long> sessions) {
    int reaped = 0;
    for (ProcStat zombie : ProcFs.matching(adoptedZombie(Posix.getpid(), sessions))) {
      if (Posix.reapIfExited(zombie.pid()).isPresent()) {
        reaped++;
      }
    }
    return reaped;
  }

  /** Zombie children of {@code self} in one of {@code sessions}, leaders excluded. */
  static Predicate<ProcStat> adoptedZombie(long self, Set<Long> sessions) {
    return s ->
        s.ppid() == self
            && s.isZombie()
            && s.pid() != s.session()
            && sessions.contains(s.session());
  }

  private static void sweepForever() {
    Map<Long, Long> seen = Map.of();
    while (true) {
      try {
        Thread.sleep(SWEEP_EVERY);
        seen = reapStale(seen);
      } catch (InterruptedException e) {
        return; // only a JVM shutting down interrupts it
      } catch (RuntimeException e) {
        log.warn("event=subreaper-sweep-failed reason=\"{}\"", e.toString());
      }
    }
  }

  /**
   * One sweep: reaps the zombie children of this JVM that were already zombies on the previous
   * sweep, and returns what this sweep saw, for the next one.
   */
  private static Map<Long, Long> reapStale(Map<Long, Long> seenBefore) {
    long self = Posix.getpid();
    List<ProcStat> zombies = ProcFs.matching(s -> s.ppid() == self && s.isZombie());
    for (ProcStat zombie : stale(seenBefore, zombies)) {
      if (Posix.reapIfExited(zombie.pid()).isPresent()) {
        log.info("event=orphan-reaped pid={} session={}", zombie.pid(), zombie.session());
      }
    }
    Map<Long, Long> seen = new HashMap<>();
    zombies.forEach(z -> seen.put(z.pid(), z.startTicks()));
    return seen;
  }

  /**
   * The zombies already seen on the previous sweep ({@code seenBefore}: pid to start time, so a
   * reused pid is not taken for the process that had it before).
   */
  static List<ProcStat> stale(Map<Long, Long> seenBefore, List<ProcStat> zombies) {
    return zombies.stream()
        .filter(z -> Objects.equals(seenBefore.get(z.pid()), z.startTicks()))
        .toList();
  }
}
