package dev.chervil.pool.process;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.os.Posix;
import dev.chervil.task.Outcome;
import dev.chervil.testing.LoggedProblems;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A child that dies on its own gives WorkerLostError, and the pool heals to full size. */
class ChildLossTest extends ProcessPoolFixture {

  @BeforeEach
  void start() throws Exception {
    startPool();
  }

  @Test
  void childKilledFromOutsideMidTaskIsLostAndReplaced() throws Exception {
    Set<Long> idle = new HashSet<>(pool.ownedChildPids());
    CompletableFuture<Outcome> sleeping =
        pool.submit(request("chervil.debug.sleep", List.of(60), null, null));
    // The child running the task is the one that is no longer idle-identical: find it by its task
    // thread.
    long victim =
        await().pollInSameThread().atMost(WAIT).until(() -> busyChild(idle), pid -> pid > 0);
    assertTrue(Posix.kill(victim, Posix.SIGKILL));
    Outcome o = sleeping.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    Outcome.Lost lost = assertInstanceOf(Outcome.Lost.class, o);
    assertTrue(lost.reason().contains("signal 9"), lost.reason());
    assertTrue(lost.error().type().equals("WorkerLostError"));
    assertInstanceOf(Outcome.Ok.class, run("chervil.debug.noop", List.of(), null, null));
    assertCensusAtBaseline();
  }

  @Test
  void childCallingSystemExitIsLostAndReplaced() throws Exception {
    Outcome.Lost lost =
        assertInstanceOf(Outcome.Lost.class, run("chervil.debug.exit", List.of(7), null, null));
    assertTrue(lost.reason().contains("exited with code 7"), lost.reason());
    assertInstanceOf(Outcome.Ok.class, run("chervil.debug.noop", List.of(), null, null));
    assertCensusAtBaseline();
  }

  @Test
  void childOutOfHeapIsLostAndReplaced() throws Exception {
    Outcome.Lost lost =
        assertInstanceOf(Outcome.Lost.class, run("chervil.debug.hog", List.of(4096), null, null));
    // -XX:+ExitOnOutOfMemoryError exits 3; under memory pressure the kernel may SIGKILL it first.
    assertTrue(
        lost.reason().contains("exited with code 3") || lost.reason().contains("signal 9"),
        lost.reason());
    assertInstanceOf(Outcome.Ok.class, run("chervil.debug.noop", List.of(), null, null));
    assertCensusAtBaseline();
  }

  /**
   * Issue 11.7: the JVM prints its ExitOnOutOfMemoryError message to fd 1. Once fd 1 was the frame
   * channel, and the loss read as stray output (and a child destroyed: "killed by signal 9"). Now
   * fd 1 is stderr: the supervisor reads a clean end of stream and the exit code.
   */
  @Test
  void anOutOfHeapChildsJvmMessageDoesNotReachTheFrameChannel() throws Exception {
    Outcome.Lost lost;
    List<String> problems;
    try (LoggedProblems logged = LoggedProblems.watch()) {
      lost =
          assertInstanceOf(Outcome.Lost.class, run("chervil.debug.hog", List.of(4096), null, null));
      problems = logged.lines();
    }
    assertTrue(lost.reason().contains("exited with code 3"), lost.reason());
    assertTrue(
        problems.stream()
            .noneMatch(l -> l.contains("stray output") || l.contains("channel-broken")),
        problems.toString());
    assertInstanceOf(Outcome.Ok.class, run("chervil.debug.noop", List.of(), null, null));
    assertCensusAtBaseline();
  }

  @Test
  void childKilledWhileIdleIsReplacedBeforeItIsNeeded() throws Exception {
    long victim = pool.ownedChildPids().iterator().next();
    assertTrue(Posix.kill(victim, Posix.SIGKILL));
    assertCensusAtBaseline();
    assertTrue(!pool.ownedChildPids().contains(victim));
    assertInstanceOf(Outcome.Ok.class, run("chervil.debug.noop", List.of(), null, null));
  }

  /**
   * The pid of a child with a thread named chervil-child-task, i.e. running a task; 0 if none yet.
   */
  private long busyChild(Set<Long> candidates) {
    for (long pid : pool.ownedChildPids()) {
      if (dev.chervil.os.ProcFs.threadNames(pid).contains("chervil-child-t")) {
        return pid;
      }
    }
    return 0;
  }
}
