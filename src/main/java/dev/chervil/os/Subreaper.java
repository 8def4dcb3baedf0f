package dev.chervil.os;

import java.util.Set;
import java.util.function.Predicate;

/**
 * Makes this JVM the reaper of its orphaned descendants, and reaps them.
 *
 * <p>Without it a grandchild whose parent was killed is re-parented to pid 1, which in a container
 * may never reap it. As a subreaper the JVM adopts it instead, and must then reap it itself.
 *
 * <p>The JDK reaps the processes it started: a thread per child blocks in {@code waitpid(pid)}.
 * Whoever calls waitpid first takes the exit status; the loser gets ECHILD, and the JDK then
 * reports a wrong exit value. So this class only reaps session members that are not the session
 * leader: the leader is the process {@link ProcessBuilder} started, everything else in the
 * session was started by it and reached us only by adoption.
 */
public final class Subreaper {
  private static volatile boolean installed;

  private Subreaper() {}

  /** Makes this JVM a child subreaper once (idempotent); returns true if it is one afterwards. */
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
        }
      }
    }
    return installed;
  }

  /**
   * Reaps zombie children of this JVM that belong to one of {@code sessions} but are not a
   * session leader (pid != sid): grandchildren the kernel re-parented to us, which the JDK never
   * started, so reaping them cannot steal an exit status a {@link Process} is waiting for.
   * Session leaders are left for the JDK. Returns how many were reaped.
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
    return s -> s.ppid() == self
        && s.isZombie()
        && s.pid() != s.session()
        && sessions.contains(s.session());
  }
}
