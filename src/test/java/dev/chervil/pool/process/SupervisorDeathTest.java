package dev.chervil.pool.process;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.os.Posix;
import dev.chervil.os.ProcFs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * SIGKILL of the supervisor (issue 11.6): its child JVMs die with it (PR_SET_PDEATHSIG), and so
 * does a task's subprocess (the child's controlling terminal hangs up its process group), instead
 * of being re-parented and living on.
 */
class SupervisorDeathTest {
  private static final Path SUPERVISOR_LOG = Path.of("target", "supervisor-death.log");

  @Test
  void aSigkilledSupervisorLeavesNoChildJvmAndNoGrandchild() throws Exception {
    long self = ProcessHandle.current().pid();
    // A duration no other sleep on the machine has: how the grandchild is found. Written as the
    // task writes it (Double.toString): "50." + a random six digits lost a trailing zero on the
    // way ("50.123450" ran as "sleep 50.12345"), and one run in ten never found its sleep.
    String marker =
        Double.toString(50 + ThreadLocalRandom.current().nextInt(100_000, 1_000_000) / 1e6);
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    Process supervisor =
        new ProcessBuilder(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                OrphanSupervisorMain.class.getName(),
                marker)
            .redirectError(
                ProcessBuilder.Redirect.appendTo(new java.io.File("target/supervisor-death.log")))
            .start();
    long supervisorPid = supervisor.pid();
    List<Long> survivors = new ArrayList<>();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(supervisor.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("submitted", out.readLine());
      // The task runs: its sleep exists, and so does the child JVM that started it.
      try {
        await()
            .pollInSameThread()
            .atMost(Duration.ofSeconds(60))
            .until(() -> !sleepers(marker).isEmpty() && !childJvmsOf(supervisorPid).isEmpty());
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        // Which half is missing: no child JVM (start-up), or a child that never ran the task.
        StringBuilder seen = new StringBuilder();
        for (long child : childJvmsOf(supervisorPid)) {
          seen.append("\nchild JVM ").append(child).append(" threads ");
          seen.append(ProcFs.threadNames(child));
        }
        throw new AssertionError(
            "the task never ran in the supervisor (sleepers "
                + sleepers(marker)
                + ", child JVMs "
                + childJvmsOf(supervisorPid)
                + ")"
                + seen
                + "\nits log:\n"
                + Files.readString(SUPERVISOR_LOG),
            e);
      }
      List<Long> children = childJvmsOf(supervisorPid);
      List<Long> grandchildren = sleepers(marker);
      survivors.addAll(children);
      survivors.addAll(grandchildren);

      assertTrue(Posix.kill(supervisorPid, Posix.SIGKILL));
      supervisor.waitFor();

      await()
          .pollInSameThread()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertEquals(List.of(), live(children), "child JVMs alive after their supervisor");
                assertEquals(List.of(), sleepers(marker), "the task's sleep outlived the child");
              });
    } finally {
      supervisor.destroyForcibly();
      for (long pid : survivors) {
        if (ProcFs.stat(pid).map(s -> s.isLive()).orElse(false)) {
          Posix.kill(pid, Posix.SIGKILL);
        }
      }
      sleepers(marker).forEach(pid -> Posix.kill(pid, Posix.SIGKILL));
    }
    // If this JVM is a subreaper (another pool test made it one) the dead are re-parented here:
    // they must be reaped before the next test's census.
    await()
        .pollInSameThread()
        .atMost(Duration.ofSeconds(10))
        .until(() -> ProcFs.childrenOf(self).isEmpty());
  }

  /** Child JVMs of a pool supervisor, by the argument the launcher gives each of them. */
  private static List<Long> childJvmsOf(long supervisorPid) {
    String parent = Long.toString(supervisorPid);
    return ProcessHandle.allProcesses()
        .filter(
            h -> {
              List<String> args = h.info().arguments().map(List::of).orElse(List.of());
              int i = args.indexOf("--parent-pid");
              return i >= 0 && i + 1 < args.size() && args.get(i + 1).equals(parent);
            })
        .map(ProcessHandle::pid)
        .filter(pid -> ProcFs.stat(pid).map(s -> s.isLive()).orElse(false))
        .toList();
  }

  private static List<Long> sleepers(String marker) {
    return ProcessPoolLimitsTest.sleepersWithArgument(marker);
  }

  private static List<Long> live(List<Long> pids) {
    return pids.stream()
        .filter(pid -> ProcFs.stat(pid).map(s -> s.isLive()).orElse(false))
        .toList();
  }
}
