package dev.chervil.os;

import static dev.chervil.os.TestSessions.awaitMember;
import static dev.chervil.os.TestSessions.cleanUp;
import static dev.chervil.os.TestSessions.eventually;
import static dev.chervil.os.TestSessions.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PosixTest {
  private static final long SELF = Posix.getpid();
  private static final int EINVAL = 22, EPERM = 1;

  private Process leader;

  @BeforeAll
  static void adoptOrphans() {
    // Children the JDK did not start reach us only by adoption: the safe way to test waitpid.
    assertTrue(Subreaper.install());
  }

  @AfterEach
  void noMemberSurvives() throws InterruptedException {
    if (leader != null) {
      cleanUp(leader);
    }
  }

  @Test
  void getpidIsThisJvm() {
    assertEquals(ProcessHandle.current().pid(), Posix.getpid());
  }

  @Test
  void killOfMissingProcessOrGroupReturnsFalse() {
    // Above any pid_max the kernel allows, so never a live process.
    assertFalse(Posix.kill(Integer.MAX_VALUE, Posix.SIGTERM));
    assertFalse(Posix.killGroup(Integer.MAX_VALUE, Posix.SIGTERM));
  }

  @Test
  void otherKillErrorsThrowWithErrnoAndText() {
    PosixException e = assertThrows(PosixException.class, () -> Posix.kill(SELF, 9999));

    assertEquals(EINVAL, e.errno());
    assertTrue(e.getMessage().contains("Invalid argument"), e.getMessage());
    assertTrue(e.getMessage().contains("kill(" + SELF + ", 9999)"), e.getMessage());
  }

  @Test
  void broadcastTargetsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Posix.kill(0, 0)); // our own group
    assertThrows(IllegalArgumentException.class, () -> Posix.kill(-1, 0)); // everyone
    assertThrows(IllegalArgumentException.class, () -> Posix.killGroup(1, 0)); // kill(-1)
    assertThrows(IllegalArgumentException.class, () -> Posix.reapIfExited(-1)); // any child
    assertThrows(IllegalArgumentException.class, () -> Posix.reapIfExited(0));
    assertThrows(IllegalArgumentException.class, () -> Posix.kill(1L << 32, 0));
  }

  @Test
  void killSignalsAProcessAndKillGroupItsGroup() throws Exception {
    Process sleeper = new ProcessBuilder("sleep", "300").start();
    // WNOHANG on a running child is harmless even though the JDK waits for it too.
    assertEquals(OptionalInt.empty(), Posix.reapIfExited(sleeper.pid()));

    assertTrue(Posix.kill(sleeper.pid(), Posix.SIGTERM));
    assertEquals(128 + Posix.SIGTERM, sleeper.waitFor());

    leader = start("exec sleep 300");
    assertTrue(Posix.killGroup(leader.pid(), Posix.SIGKILL));
    assertEquals(128 + Posix.SIGKILL, leader.waitFor());
  }

  @Test
  void reapIfExitedOfANonChildIsEmpty() {
    assertEquals(OptionalInt.empty(), Posix.reapIfExited(1)); // ECHILD
    assertEquals(OptionalInt.empty(), Posix.reapIfExited(SELF));
    assertEquals(OptionalInt.empty(), Posix.reapIfExited(Integer.MAX_VALUE));
  }

  @Test
  void reapIfExitedReportsTheExitCodeOfAnAdoptedChild() throws Exception {
    leader = start("sh -c 'sleep 300; exit 7' & exit 0");
    ProcStat shell = awaitMember(leader.pid(), m -> m.ppid() == SELF);
    ProcStat sleep = awaitMember(leader.pid(), m -> m.ppid() == shell.pid());
    assertEquals(OptionalInt.empty(), Posix.reapIfExited(shell.pid()));

    Posix.kill(sleep.pid(), Posix.SIGKILL);

    assertEquals(7, awaitReaped(shell.pid()));
    assertTrue(ProcFs.stat(shell.pid()).isEmpty(), "reaped, not left a zombie");
  }

  @Test
  void reapIfExitedReportsDeathBySignalAs128PlusSignal() throws Exception {
    leader = start("sh -c 'sleep 300; exit 7' & exit 0");
    ProcStat shell = awaitMember(leader.pid(), m -> m.ppid() == SELF);

    Posix.kill(shell.pid(), Posix.SIGKILL);

    assertEquals(128 + Posix.SIGKILL, awaitReaped(shell.pid()));
  }

  @Test
  void waitStatusDecodesLikeTheShell() {
    assertEquals(0, Posix.decodeWaitStatus(0));
    assertEquals(7, Posix.decodeWaitStatus(7 << 8));
    assertEquals(255, Posix.decodeWaitStatus(255 << 8));
    assertEquals(128 + 9, Posix.decodeWaitStatus(9));
    assertEquals(128 + 11, Posix.decodeWaitStatus(0x80 | 11)); // SIGSEGV with core dump
  }

  @Test
  void subreaperFlagReadsBackSet() {
    Posix.becomeChildSubreaper();
    assertTrue(Posix.isChildSubreaper());
  }

  /**
   * setsid(2) detaches the caller from its terminal, so it runs in a child JVM, the way a pool
   * child would call it first thing. A ProcessBuilder child does not lead a process group, so the
   * first call succeeds; the second fails because a session leader leads its group.
   */
  @Test
  void setsidMakesAChildJvmASessionLeaderOnce() throws Exception {
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                SetsidProbe.class.getName())
            .redirectErrorStream(true)
            .start();
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals(0, child.waitFor(), out);

    String[] f = out.split(" ");
    assertEquals(String.valueOf(child.pid()), f[0], out); // getpid
    assertEquals(f[0], f[1], "the new session id is the caller's pid: " + out);
    assertEquals(String.valueOf(EPERM), f[2], out);
  }

  /** Prints "pid sid errno-of-second-setsid". */
  static final class SetsidProbe {
    public static void main(String[] args) {
      long sid = Posix.setsid();
      int errno = 0;
      try {
        Posix.setsid();
      } catch (PosixException e) {
        errno = e.errno();
      }
      System.out.println(Posix.getpid() + " " + sid + " " + errno);
    }
  }

  private static int awaitReaped(long pid) {
    return eventually().until(() -> Posix.reapIfExited(pid), OptionalInt::isPresent).getAsInt();
  }
}
