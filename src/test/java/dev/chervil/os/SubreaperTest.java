package dev.chervil.os;

import static dev.chervil.os.TestSessions.awaitMember;
import static dev.chervil.os.TestSessions.cleanUp;
import static dev.chervil.os.TestSessions.eventually;
import static dev.chervil.os.TestSessions.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SubreaperTest {
  private static final long SELF = Posix.getpid();

  private Process leader;

  @BeforeAll
  static void install() {
    assertTrue(Subreaper.install());
  }

  @AfterEach
  void noMemberSurvives() throws InterruptedException {
    if (leader != null) {
      cleanUp(leader);
    }
  }

  @Test
  void installIsIdempotent() {
    assertTrue(Subreaper.install());
    assertTrue(Subreaper.install());
    assertTrue(Posix.isChildSubreaper());
  }

  @Test
  void orphanedGrandchildIsAdoptedAndReaped() throws Exception {
    leader = start("sleep 300 & exit 0");
    long sid = leader.pid();
    assertEquals(0, leader.waitFor());

    ProcStat orphan = awaitMember(sid, m -> m.ppid() == SELF);
    assertTrue(orphan.isLive());
    assertTrue(Posix.kill(orphan.pid(), Posix.SIGKILL));
    awaitZombieChild(orphan.pid());

    assertEquals(1, Subreaper.reapAdopted(Set.of(sid)));
    assertTrue(ProcFs.childrenOf(SELF).stream().noneMatch(c -> c.pid() == orphan.pid()));
    assertTrue(ProcFs.inSession(sid).isEmpty());
  }

  @Test
  void zombiesOfUnlistedSessionsAreLeftAlone() throws Exception {
    leader = start("sleep 300 & exit 0");
    long sid = leader.pid();
    leader.waitFor();
    ProcStat orphan = awaitMember(sid, m -> m.ppid() == SELF);
    Posix.kill(orphan.pid(), Posix.SIGKILL);
    awaitZombieChild(orphan.pid());

    assertEquals(0, Subreaper.reapAdopted(Set.of(sid + 1)));
  }

  /** An adopted zombie no pool released (its session is nobody's) is reaped by the sweeper. */
  @Test
  void sweeperReapsAZombieNobodyWaitsFor() throws Exception {
    leader = start("sleep 300 & exit 0");
    leader.waitFor();
    ProcStat orphan = awaitMember(leader.pid(), m -> m.ppid() == SELF);
    Posix.kill(orphan.pid(), Posix.SIGKILL);

    eventually().until(() -> ProcFs.stat(orphan.pid()).isEmpty());
  }

  @Test
  void sweeperTakesOnlyZombiesSeenOnThePreviousSweep() {
    ProcStat first = new ProcStat(700, 'Z', SELF, 700, 700, 11);
    ProcStat reused = new ProcStat(701, 'Z', SELF, 701, 701, 99); // pid 701 had start time 12

    assertEquals(List.of(), Subreaper.stale(Map.of(), List.of(first, reused)));
    assertEquals(
        List.of(first), Subreaper.stale(Map.of(700L, 11L, 701L, 12L), List.of(first, reused)));
  }

  @Test
  void onlyNonLeaderZombieChildrenOfListedSessionsAreReaped() {
    var adopted = Subreaper.adoptedZombie(SELF, Set.of(500L));

    assertTrue(adopted.test(new ProcStat(501, 'Z', SELF, 500, 500, 0)));
    assertFalse(adopted.test(new ProcStat(500, 'Z', SELF, 500, 500, 0)), "leader: the JDK's");
    assertFalse(adopted.test(new ProcStat(501, 'S', SELF, 500, 500, 0)), "still running");
    assertFalse(adopted.test(new ProcStat(501, 'Z', SELF + 1, 500, 500, 0)), "not our child");
    assertFalse(adopted.test(new ProcStat(601, 'Z', SELF, 600, 600, 0)), "unlisted session");
  }

  /**
   * The JDK waits for the leader; had reapAdopted taken its status, the JDK would report a wrong
   * exit value (0 where the shell exited 3, as tried by hand). The JDK's reaper thread wakes at
   * once, so this race is rarely lost even by a thief; the predicate test above is the sharp one.
   */
  @Test
  void sessionLeaderIsLeftForTheJdk() throws Exception {
    for (int i = 0; i < 20; i++) {
      Process exiting = start("exit 3");
      Set<Long> session = Set.of(exiting.pid());
      do {
        assertEquals(0, Subreaper.reapAdopted(session));
      } while (ProcFs.stat(exiting.pid()).isPresent());
      assertEquals(3, exiting.waitFor());
    }
  }

  /** The sweeper runs all along (installed above); no process the JDK started loses its status. */
  @Test
  void sweeperLeavesTheJdksChildrenAlone() throws Exception {
    for (int i = 0; i < 50; i++) {
      assertEquals(7, new ProcessBuilder("sh", "-c", "exit 7").start().waitFor());
    }
  }

  private static void awaitZombieChild(long pid) {
    eventually()
        .until(() -> ProcFs.stat(pid).filter(s -> s.isZombie() && s.ppid() == SELF).isPresent());
  }
}
