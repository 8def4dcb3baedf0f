package dev.chervil.os;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills a whole session: the tree a child was started in, grandchildren included.
 *
 * <p>Members are found in {@code /proc} by session id, because a member may have moved to its own
 * process group (a shell with job control does that) and a group signal would miss it. What a
 * session cannot catch is a member that called setsid(2) itself; that process has left the tree and
 * only a cgroup could hold it.
 *
 * <p>A pid is signalled right after it was read as a session member. Between the two it could in
 * principle exit, be reaped and be reused; the window is microseconds, and a pid whose zombie waits
 * for us (we are the subreaper) cannot be reused at all.
 */
public final class ProcessTree {
  private static final Logger log = LoggerFactory.getLogger(ProcessTree.class);

  /** How long SIGKILLed processes may take to exit (a large heap takes a while to unmap). */
  private static final Duration KILL_SETTLE = Duration.ofSeconds(5);

  private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private ProcessTree() {}

  /** How a kill went: terminated went after SIGTERM; killed needed SIGKILL. */
  public record KillReport(int terminated, int killed, Duration took) {}

  /**
   * Kills every process of session {@code sid}: SIGTERM (then SIGCONT, so stopped members run their
   * handlers) to the group and to each live member outside it, waits up to {@code grace} for them
   * to go, then SIGKILLs whatever is still live until nothing is. Zombies count as gone; reaping
   * them is the parent's job ({@link Subreaper#reapAdopted} for adopted ones). Never throws for
   * processes that vanish mid-way.
   *
   * <p>An interrupt cuts the grace short; the SIGKILL round still runs and the flag is kept.
   *
   * @throws IllegalArgumentException if {@code sid} is not a positive pid or is this JVM's own
   *     session, which would kill the worker and its terminal's jobs
   */
  public static KillReport kill(long sid, Duration grace) {
    requireForeign(sid);
    return killSession(sid, 0, grace);
  }

  /**
   * Kills every other process of the caller's own session (TERM, grace, KILL rounds as {@link
   * #kill}), sparing the caller. For a session leader that is about to exit, such as a pool child
   * whose supervisor is gone: its task's subprocesses must not outlive it. Members are signalled
   * one by one, never as a group, because the group includes the caller.
   */
  public static KillReport killOwnSessionMembers(Duration grace) {
    long self = Posix.getpid();
    long sid = ProcFs.stat(self).orElseThrow().session();
    return killSession(sid, self, grace);
  }

  private static KillReport killSession(long sid, long spared, Duration grace) {
    long start = System.nanoTime();
    Set<Long> termed = terminate(sid, spared);
    boolean interrupted = !awaitGone(sid, spared, System.nanoTime() + grace.toNanos());
    Set<Long> killed = killRemaining(sid, spared);
    termed.removeAll(killed);
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    return new KillReport(termed.size(), killed.size(), took);
  }

  /** Live (non-zombie) members of session {@code sid}, read from /proc. */
  public static List<ProcStat> liveMembers(long sid) {
    return ProcFs.matching(s -> s.session() == sid && s.isLive());
  }

  /** Live members of {@code sid} other than {@code spared} (0: spare nobody). */
  private static List<ProcStat> liveMembers(long sid, long spared) {
    return ProcFs.matching(s -> s.session() == sid && s.isLive() && s.pid() != spared);
  }

  private static Set<Long> terminate(long sid, long spared) {
    List<ProcStat> members = liveMembers(sid, spared);
    Set<Long> termed = new HashSet<>();
    boolean byGroup = spared == 0; // the group holds the spared process, so not when sparing
    if (byGroup) {
      Posix.killGroup(sid, Posix.SIGTERM);
    }
    for (ProcStat member : members) {
      // The group signal already reached members still in group sid. A second SIGTERM is not
      // harmless: many programs (Celery among them) read it as "stop now, skip the cleanup".
      if ((byGroup && member.pgrp() == sid) || Posix.kill(member.pid(), Posix.SIGTERM)) {
        termed.add(member.pid());
      }
    }
    if (byGroup) {
      Posix.killGroup(sid, Posix.SIGCONT);
    }
    for (ProcStat member : members) {
      if (!byGroup || member.pgrp() != sid) {
        Posix.kill(member.pid(), Posix.SIGCONT);
      }
    }
    return termed;
  }

  /**
   * SIGKILLs live members until none is left. One round is not enough: a member may fork between
   * our read of /proc and the signal, and its new child must be caught by the next round.
   */
  private static Set<Long> killRemaining(long sid, long spared) {
    Set<Long> killed = new HashSet<>();
    long deadline = System.nanoTime() + KILL_SETTLE.toNanos();
    List<ProcStat> live = liveMembers(sid, spared);
    long pause = 0;
    boolean interrupted = false;
    while (!live.isEmpty()) {
      if (System.nanoTime() - deadline > 0) {
        log.warn(
            "event=kill_unfinished sid={} live={} reason=\"still live {} after SIGKILL\"",
            sid,
            live.size(),
            KILL_SETTLE);
        break;
      }
      // Each listed member first, the group after: a group SIGKILL would let the JDK reap the
      // leader before our own kill reaches it, and the leader would go uncounted.
      for (ProcStat member : live) {
        if (Posix.kill(member.pid(), Posix.SIGKILL)) {
          killed.add(member.pid());
        }
      }
      if (spared == 0) {
        Posix.killGroup(sid, Posix.SIGKILL); // members forked since the listing
      }
      pause = nextPause(pause);
      // Not cut short by interrupts: the members are dead to us, only the kernel lags. parkNanos
      // returns at once while the flag is set, so clear it now and restore it after.
      interrupted |= Thread.interrupted();
      LockSupport.parkNanos(pause);
      live = liveMembers(sid, spared);
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return killed;
  }

  /** Polls until no live member is left or the deadline passes; false if interrupted. */
  private static boolean awaitGone(long sid, long spared, long deadline) {
    long pause = 0;
    while (!liveMembers(sid, spared).isEmpty()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return true;
      }
      pause = nextPause(pause);
      try {
        TimeUnit.NANOSECONDS.sleep(Math.min(pause, left));
      } catch (InterruptedException e) {
        return false;
      }
    }
    return true;
  }

  /** Starts at 1 ms and doubles up to 20 ms: most trees die within milliseconds of a signal. */
  private static long nextPause(long previous) {
    return previous == 0
        ? TimeUnit.MILLISECONDS.toNanos(1)
        : Math.min(previous * 2, MAX_POLL_NANOS);
  }

  private static void requireForeign(long sid) {
    if (sid < 2 || sid > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("sid out of range: " + sid);
    }
    long ours = ProcFs.stat(Posix.getpid()).orElseThrow().session();
    if (sid == ours) {
      throw new IllegalArgumentException("refusing to kill this JVM's own session " + sid);
    }
  }
}
