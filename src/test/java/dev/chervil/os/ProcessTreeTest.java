package dev.chervil.os;

import static dev.chervil.os.TestSessions.awaitLiveMembers;
import static dev.chervil.os.TestSessions.awaitMember;
import static dev.chervil.os.TestSessions.cleanUp;
import static dev.chervil.os.TestSessions.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.chervil.os.ProcessTree.KillReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ProcessTreeTest {
  private static final Duration GRACE = Duration.ofSeconds(5);

  private Process leader;

  @BeforeAll
  static void adoptOrphans() {
    assertTrue(Subreaper.install());
  }

  @AfterEach
  void noMemberSurvives() throws InterruptedException {
    if (leader != null) {
      cleanUp(leader);
    }
  }

  @Test
  void sigtermSufficesForACooperativeTree() throws Exception {
    leader = start("sleep 300 & sleep 300 & wait");
    awaitLiveMembers(leader.pid(), 3);

    KillReport report = ProcessTree.kill(leader.pid(), GRACE);

    assertEquals(3, report.terminated());
    assertEquals(0, report.killed());
    assertTrue(report.took().compareTo(GRACE) < 0, "did not sit out the grace: " + report);
    assertTrue(ProcessTree.liveMembers(leader.pid()).isEmpty());
    assertEquals(128 + Posix.SIGTERM, leader.waitFor());
  }

  @Test
  void memberIgnoringSigtermNeedsSigkill() throws Exception {
    // The first sleep starts before the trap and dies of SIGTERM; the shell and the second sleep
    // (which inherits the ignored disposition across exec) survive it.
    leader = start("sleep 300 & trap '' TERM; sleep 300 & wait");
    awaitLiveMembers(leader.pid(), 3);
    Duration grace = Duration.ofMillis(200);

    KillReport report = ProcessTree.kill(leader.pid(), grace);

    assertEquals(1, report.terminated());
    assertEquals(2, report.killed());
    assertTrue(report.took().compareTo(grace) >= 0, "waited the grace out: " + report);
    assertTrue(ProcessTree.liveMembers(leader.pid()).isEmpty());
    assertEquals(128 + Posix.SIGKILL, leader.waitFor());
  }

  @Test
  void childForkedDuringTheGraceIsKilledToo() throws Exception {
    // On SIGTERM the shell starts a new sleep and waits for it: a member born after the signal.
    leader = start("trap 'sleep 300 & wait' TERM; sleep 300 & wait");
    awaitLiveMembers(leader.pid(), 2);

    KillReport report = ProcessTree.kill(leader.pid(), Duration.ofMillis(200));

    assertEquals(1, report.terminated()); // the first sleep
    assertEquals(2, report.killed()); // the shell and the sleep its trap started
    assertTrue(ProcessTree.liveMembers(leader.pid()).isEmpty());
  }

  @Test
  void memberInItsOwnProcessGroupIsKilledToo() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/perl")), "perl moves a member to a new group");
    leader = start("perl -e 'setpgrp(0, 0); exec \"sleep\", 300' & wait");
    long sid = leader.pid();
    ProcStat loner = awaitMember(sid, m -> m.pgrp() != sid && m.isLive());

    KillReport report = ProcessTree.kill(sid, GRACE);

    assertEquals(2, report.terminated());
    assertEquals(0, report.killed());
    assertTrue(ProcFs.stat(loner.pid()).filter(ProcStat::isLive).isEmpty());
    assertTrue(ProcessTree.liveMembers(sid).isEmpty());
  }

  @Test
  void zombieMembersCountAsGone() throws Exception {
    // sleep(1) never waits for the child its shell left behind, so that child stays a zombie.
    leader = start("sleep 0 & exec sleep 300");
    long sid = leader.pid();
    awaitMember(sid, ProcStat::isZombie);
    awaitLiveMembers(sid, 1);

    KillReport report = ProcessTree.kill(sid, GRACE);

    assertEquals(1, report.terminated());
    assertEquals(0, report.killed());
    assertTrue(report.took().compareTo(GRACE) < 0, "a zombie is not waited for: " + report);
  }

  @Test
  void emptySessionReportsNothing() {
    KillReport report = ProcessTree.kill(Integer.MAX_VALUE, GRACE);

    assertEquals(new KillReport(0, 0, report.took()), report);
    assertTrue(report.took().compareTo(GRACE) < 0);
  }

  @Test
  void refusesToKillItsOwnSession() {
    long ours = ProcFs.stat(Posix.getpid()).orElseThrow().session();

    assertThrows(IllegalArgumentException.class, () -> ProcessTree.kill(ours, GRACE));
    assertThrows(IllegalArgumentException.class, () -> ProcessTree.kill(1, GRACE));
    assertThrows(IllegalArgumentException.class, () -> ProcessTree.kill(0, GRACE));
  }
}
