package dev.chervil.os;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.awaitility.core.ConditionFactory;

/**
 * Starts shell trees in their own session and cleans them up completely. The JVM must be a
 * subreaper (tests install it) so that orphans come to us to be reaped instead of to pid 1, which
 * in a container may never reap them.
 */
final class TestSessions {
  private static final long GONE = -1;

  private TestSessions() {}

  static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5));
  }

  /**
   * Runs {@code sh -c script} through {@code /usr/bin/setsid}. A ProcessBuilder child is not a
   * process group leader, so setsid(1) calls setsid(2) in place instead of forking: the shell keeps
   * the pid the JDK knows, and that pid is the session id.
   */
  static Process start(String script) throws IOException {
    Process leader =
        new ProcessBuilder("/usr/bin/setsid", "sh", "-c", script)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    // Until setsid(1) has run, the child is still in our session; a quick script may be gone.
    long ours = sessionOf(Posix.getpid());
    long sid = eventually().until(() -> sessionOf(leader.pid()), s -> s != ours);
    if (sid != GONE) {
      assertEquals(leader.pid(), sid, "setsid kept the pid");
    }
    return leader;
  }

  /** Waits until session {@code sid} has exactly {@code count} live members and returns them. */
  static List<ProcStat> awaitLiveMembers(long sid, int count) {
    return eventually().until(() -> ProcessTree.liveMembers(sid), m -> m.size() == count);
  }

  /** Waits for one member matching {@code filter}. */
  static ProcStat awaitMember(long sid, Predicate<ProcStat> filter) {
    return eventually()
        .until(
            () -> ProcFs.inSession(sid).stream().filter(filter).findFirst(),
            java.util.Optional::isPresent)
        .orElseThrow();
  }

  /**
   * Kills whatever is left of the session, lets the JDK reap the leader, reaps adopted zombies, and
   * asserts that nothing of the session remains, not even a zombie.
   */
  static void cleanUp(Process leader) throws InterruptedException {
    long sid = leader.pid();
    ProcessTree.kill(sid, Duration.ZERO);
    leader.waitFor();
    eventually()
        .until(
            () -> {
              Subreaper.reapAdopted(Set.of(sid));
              return ProcFs.inSession(sid).isEmpty();
            });
  }

  private static long sessionOf(long pid) {
    return ProcFs.stat(pid).map(ProcStat::session).orElse(GONE);
  }
}
