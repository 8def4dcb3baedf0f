package dev.chervil.pool.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.census.Census;
import dev.chervil.census.CensusSnapshot;
import dev.chervil.os.Posix;
import dev.chervil.os.ProcFs;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.task.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Limits that never wait for a kill, and a close that leaves no starting child behind. */
class ProcessPoolLimitsTest extends ProcessPoolFixture {
  private static final Duration LONG_GRACE = Duration.ofSeconds(3);
  private static final double STUBBORN_LIMIT_S = 2.0;

  /**
   * Slot 1's kill must wait out its whole grace (its task's subprocess ignores SIGTERM and SIGHUP);
   * slot 2's deadline comes 300 ms after slot 1's. Had the kill run on the limit timer's thread,
   * slot 2's deadline would fire only after that grace: 3 s late.
   */
  @Test
  void aKillWaitingOutItsGraceDoesNotDelayAnotherSlotsDeadline() throws Exception {
    startPool(
        new ProcessPool(
            PoolSpec.of(PoolKind.PROCESSES, SIZE),
            1,
            Duration.ofSeconds(60),
            List.of(),
            LONG_GRACE));
    // A duration no other process on the machine sleeps for: the stubborn subprocess's marker.
    // Written as the task writes it (Double.toString), so a trailing zero cannot be lost on the
    // way ("40.123450" would run as "sleep 40.12345" and never be found).
    String marker =
        Double.toString(40 + ThreadLocalRandom.current().nextInt(100_000, 1_000_000) / 1e6);
    try {
      long stubbornDispatched = System.nanoTime();
      CompletableFuture<Outcome> stubborn =
          pool.submit(
              request(
                  "chervil.debug.spawn_stubborn_sleep",
                  List.of(Double.valueOf(marker)),
                  null,
                  STUBBORN_LIMIT_S));
      // Slot 1's subprocess is up and its kill has begun (its limit passed): from now on that kill
      // waits out its 3 s grace, and slot 2's deadline falls inside it. Waiting on the sleeper,
      // not on a guess, keeps a slow machine from killing slot 1 before it spawned anything.
      org.awaitility.Awaitility.await()
          .pollInSameThread()
          .atMost(WAIT)
          .until(
              () ->
                  !sleepersWithArgument(marker).isEmpty()
                      && System.nanoTime() - stubbornDispatched
                          > (long) ((STUBBORN_LIMIT_S + 0.1) * 1e9));
      long t0 = System.nanoTime();
      CompletableFuture<Outcome> spinning =
          pool.submit(request("chervil.debug.spin", List.of(60), null, 0.8));
      Outcome second = spinning.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      long secondMs = (System.nanoTime() - t0) / 1_000_000;
      boolean stubbornStillInGrace = !sleepersWithArgument(marker).isEmpty();
      assertInstanceOf(Outcome.HardKilled.class, second);
      assertTrue(
          secondMs < 0.8 * 1000 + 1500,
          "slot 2 settled " + secondMs + " ms after its dispatch; its limit was 800 ms");
      assertTrue(
          stubbornStillInGrace,
          "slot 1's kill was still in its grace when slot 2 was killed and settled");
      assertInstanceOf(Outcome.HardKilled.class, stubborn.get(WAIT.toSeconds(), TimeUnit.SECONDS));
      assertInstanceOf(Outcome.Ok.class, run("chervil.debug.noop", List.of(), null, null));
      assertCensusAtBaseline();
      assertEquals(List.of(), sleepersWithArgument(marker), "the stubborn sleep was SIGKILLed");
    } finally {
      sleepersWithArgument(marker).forEach(pid -> Posix.kill(pid, Posix.SIGKILL));
    }
  }

  /** close() while the spare (and the slots' first children) are still starting: none left. */
  @Test
  void closeWhileTheSpareIsStartingLeavesNoChildBehind() throws Exception {
    long self = ProcessHandle.current().pid();
    CensusSnapshot before = Census.take(dev.chervil.census.CensusSource.NONE);
    String old = System.getProperty(ChildMain.START_DELAY_PROPERTY);
    System.setProperty(ChildMain.START_DELAY_PROPERTY, "1500"); // read when the pool is built
    ProcessPool starting;
    try {
      starting = new ProcessPool(PoolSpec.of(PoolKind.PROCESSES, SIZE));
    } finally {
      if (old == null) {
        System.clearProperty(ChildMain.START_DELAY_PROPERTY);
      } else {
        System.setProperty(ChildMain.START_DELAY_PROPERTY, old);
      }
    }
    starting.start();
    // Wait until the children are spawned (the spare among them), so close() meets them mid-start.
    org.awaitility.Awaitility.await()
        .pollInSameThread()
        .atMost(WAIT)
        .until(() -> ProcFs.childrenOf(self).size() >= SIZE + 1);
    starting.close();
    // No waiting here: close() itself must have waited for every start in progress.
    CensusSnapshot after = Census.take(starting);
    assertEquals(List.of(), ProcFs.childrenOf(self), "after close: no child, zombie or orphan");
    assertEquals(0, after.children());
    assertEquals(0, after.zombies());
    assertEquals(0, after.orphans());
    assertTrue(after.fds() <= before.fds() + 2, "fds " + after.fds() + " vs " + before.fds());
  }

  /** Pids of live {@code sleep} processes whose arguments include {@code argument}. */
  static List<Long> sleepersWithArgument(String argument) {
    return ProcessHandle.allProcesses()
        .filter(ProcessHandle::isAlive)
        .filter(
            h ->
                h.info().command().map(c -> c.endsWith("/sleep")).orElse(false)
                    && h.info().arguments().map(a -> List.of(a).contains(argument)).orElse(false))
        .map(ProcessHandle::pid)
        .filter(pid -> ProcFs.stat(pid).map(s -> s.isLive()).orElse(false))
        .toList();
  }
}
