package dev.chervil.pool.thread;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.chervil.census.Census;
import dev.chervil.census.CensusBaseline;
import dev.chervil.debug.DebugTasks;
import dev.chervil.limits.TimeLimits;
import dev.chervil.task.Outcome;
import dev.chervil.task.SoftTimeLimitExceeded;
import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskRegistry;
import dev.chervil.task.TaskRequest;
import dev.chervil.task.TaskRunner;
import dev.chervil.testing.CensusAssertions;
import dev.chervil.testing.LoggedProblems;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ThreadPoolTest {
  private static final int SIZE = 4;

  private final CountDownLatch gate = new CountDownLatch(1);
  private final CountDownLatch arrived = new CountDownLatch(SIZE);
  private TaskRegistry registry;
  private ThreadPool pool;
  private CensusBaseline baseline;

  @BeforeEach
  void startPool() throws Exception {
    registry =
        new TaskRegistry()
            .register(new DebugTasks())
            .register(
                TaskDefinition.named("test.catches_soft_limit")
                    .handler(
                        (ctx, a) -> {
                          try {
                            ctx.sleep(Duration.ofSeconds(30));
                            return "slept";
                          } catch (SoftTimeLimitExceeded e) {
                            return "cleaned";
                          }
                        }))
            .register(
                TaskDefinition.named("test.wait_gate")
                    .handler(
                        (ctx, a) -> {
                          arrived.countDown();
                          gate.await();
                          return "through";
                        }));
    pool = new ThreadPool("threads", SIZE, false, new TaskRunner(registry));
    pool.start();
    baseline = warmBaseline(pool);
  }

  @AfterEach
  void closePool() {
    gate.countDown();
    pool.close();
  }

  @Test
  void slotsWhoseLoopDiesAreRestartedTheirJobSettledAndThePoolKeepsItsSize() throws Exception {
    List<CompletableFuture<Outcome>> poisoned = new ArrayList<>();
    try (LoggedProblems problems = LoggedProblems.watch()) {
      for (int i = 0; i < SIZE; i++) {
        // An Error escaping the admission check ends the slot's loop: one per slot.
        poisoned.add(
            pool.submit(
                request("chervil.debug.noop", List.of(), null, null),
                () -> {
                  throw new AssertionError("admission bug");
                }));
      }
      for (CompletableFuture<Outcome> f : poisoned) {
        assertInstanceOf(Outcome.Lost.class, f.get(10, SECONDS), "settled, not left hanging");
      }
      await()
          .atMost(10, SECONDS)
          .until(
              () ->
                  problems.lines().stream()
                          .filter(
                              l ->
                                  l.contains("event=thread-loop-failed")
                                      && l.contains("thread=chervil-threads-"))
                          .count()
                      == SIZE);
    }
    // Every slot is back: SIZE tasks run at once.
    List<CompletableFuture<Outcome>> held = new ArrayList<>();
    for (int i = 0; i < SIZE; i++) {
      held.add(pool.submit(request("test.wait_gate", List.of(), null, null)));
    }
    await().atMost(10, SECONDS).until(() -> runningThreads() == SIZE);
    gate.countDown();
    for (CompletableFuture<Outcome> f : held) {
      assertEquals(new Outcome.Ok("through"), f.get(5, SECONDS));
    }
    assertBackAtBaseline();
  }

  @Test
  void softLimitIsSeenByTheTaskWhichMayCatchIt() throws Exception {
    Outcome outcome =
        pool.submit(request("test.catches_soft_limit", List.of(), 0.2, null)).get(10, SECONDS);
    assertEquals(new Outcome.Ok("cleaned"), outcome);
    assertBackAtBaseline();
  }

  @Test
  void uncaughtSoftLimitEndsTheTaskAsSoftTimeout() throws Exception {
    Outcome outcome =
        pool.submit(request("chervil.debug.sleep", List.of(30), 0.2, null)).get(10, SECONDS);
    Outcome.SoftTimedOut soft = assertInstanceOf(Outcome.SoftTimedOut.class, outcome);
    assertEquals("SoftTimeLimitExceeded", soft.error().type());
    assertBackAtBaseline();
  }

  @Test
  void hardLimitGivesTimeLimitExceededKeepsThePoolSizeAndCountsTheAbandonedThread()
      throws Exception {
    Outcome outcome =
        pool.submit(request("chervil.debug.spin", List.of(3.0), null, 0.2)).get(10, SECONDS);
    Outcome.HardKilled killed = assertInstanceOf(Outcome.HardKilled.class, outcome);
    assertEquals("TimeLimitExceeded", killed.error().type());
    assertEquals(1, Census.take(pool).abandoned(), "the spinning thread is abandoned, and counted");

    // The pool still has SIZE slots: SIZE tasks can be running at once beside the abandoned thread.
    List<CompletableFuture<Outcome>> held = new ArrayList<>();
    for (int i = 0; i < SIZE; i++) {
      held.add(pool.submit(request("test.wait_gate", List.of(), null, null)));
    }
    await().atMost(5, SECONDS).until(() -> runningThreads() == SIZE);
    gate.countDown();
    for (CompletableFuture<Outcome> f : held) {
      assertEquals(new Outcome.Ok("through"), f.get(5, SECONDS));
    }

    // Once the stuck code ends by itself the abandoned thread is gone and the census is whole
    // again.
    await().atMost(10, SECONDS).until(() -> pool.abandonedThreads() == 0);
    assertBackAtBaseline();
  }

  /** {@code -P threads} on virtual threads: the same slots, the same two limits. */
  @Test
  void virtualThreadSlotsRunConcurrentlyAndHonourBothLimits() throws Exception {
    pool.close();
    pool = new ThreadPool("threads", SIZE, true, new TaskRunner(registry));
    pool.start();
    baseline = warmBaseline(pool);

    List<CompletableFuture<Outcome>> held = new ArrayList<>();
    for (int i = 0; i < SIZE; i++) {
      held.add(pool.submit(request("test.wait_gate", List.of(), null, null)));
    }
    await().atMost(5, SECONDS).until(() -> arrived.getCount() == 0); // all SIZE at once
    gate.countDown();
    for (CompletableFuture<Outcome> f : held) {
      assertEquals(new Outcome.Ok("through"), f.get(5, SECONDS));
    }

    Outcome soft =
        pool.submit(request("test.catches_soft_limit", List.of(), 0.2, null)).get(10, SECONDS);
    assertEquals(new Outcome.Ok("cleaned"), soft);

    Outcome hard =
        pool.submit(request("chervil.debug.spin", List.of(1.0), null, 0.2)).get(10, SECONDS);
    assertInstanceOf(Outcome.HardKilled.class, hard);
    assertEquals(
        1, pool.abandonedThreads(), "the spinning virtual thread is abandoned, and counted");
    await().atMost(10, SECONDS).until(() -> pool.abandonedThreads() == 0);
    assertBackAtBaseline();
  }

  /** Celery stores a result its serializer refuses as a FAILURE with kombu's EncodeError. */
  @Test
  void aResultJacksonCannotWriteIsAnEncodeErrorFailure() throws Exception {
    Outcome outcome =
        pool.submit(request("chervil.debug.unencodable", List.of(), null, null)).get(5, SECONDS);
    Outcome.Failed failed = assertInstanceOf(Outcome.Failed.class, outcome);
    assertEquals("EncodeError", failed.error().type());
    assertEquals("kombu.exceptions", failed.error().module());
    assertEquals(
        "EncodeError", failed.error().toMeta().get("exc_type"), "as Celery's result meta names it");
    assertEquals(
        new Outcome.Ok(List.of(1, "two")),
        pool.submit(request("chervil.debug.echo", List.of(1, "two"), null, null)).get(5, SECONDS),
        "an encodable result is still a success");
    assertBackAtBaseline();
  }

  /** The kept census follows pool events without a per-task /proc read: here, an abandon. */
  @Test
  void theKeptCensusIsTakenWhenAThreadIsAbandoned() throws Exception {
    assertEquals(0, pool.lastCensus().abandoned());
    Outcome outcome =
        pool.submit(request("chervil.debug.spin", List.of(1.5), null, 0.2)).get(10, SECONDS);
    assertInstanceOf(Outcome.HardKilled.class, outcome);
    await().atMost(1, SECONDS).until(() -> pool.lastCensus().abandoned() == 1);
    await().atMost(10, SECONDS).until(() -> pool.abandonedThreads() == 0);
    assertBackAtBaseline();
  }

  @Test
  void failingTaskCarriesTypeAndMessage() throws Exception {
    Outcome outcome =
        pool.submit(request("chervil.debug.fail", List.of("boom"), null, null)).get(5, SECONDS);
    Outcome.Failed failed = assertInstanceOf(Outcome.Failed.class, outcome);
    assertEquals("IllegalStateException", failed.error().type());
    assertEquals("boom", failed.error().message());
    assertBackAtBaseline();
  }

  @Test
  void lifecycleCallsOutOfOrderAreHarmless() {
    ThreadPool fresh = new ThreadPool("threads", 1, false, new TaskRunner(new TaskRegistry()));
    fresh.close(); // close before start
    fresh.close();
    fresh.start(); // start after close does nothing
    assertThrows(
        IllegalStateException.class, () -> fresh.submit(TaskRequest.of("x", "y", List.of())));
    assertEquals(true, fresh.drain(Duration.ofMillis(10)));
  }

  private long runningThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(
            t -> t.getName().startsWith("chervil-threads-") && t.getState() == Thread.State.WAITING)
        .filter(
            t ->
                List.of(t.getStackTrace()).stream()
                    .anyMatch(e -> e.getClassName().contains("CountDownLatch")))
        .count();
  }

  /**
   * One task first, so what the JDK opens lazily on first use (SecureRandom's /dev/random and
   * /dev/urandom, for the task ids) is in the baseline: run alone, a test saw them as 2 leaked fds.
   */
  private static CensusBaseline warmBaseline(ThreadPool pool) throws Exception {
    assertEquals(
        new Outcome.Ok(null),
        pool.submit(request("chervil.debug.noop", List.of(), null, null)).get(10, SECONDS));
    return new CensusBaseline(Census.take(pool));
  }

  private void assertBackAtBaseline() {
    CensusAssertions.assertBackToBaseline(baseline, pool, 0, Duration.ofSeconds(5));
  }

  private static TaskRequest request(String name, List<Object> args, Double soft, Double hard) {
    String id = UUID.randomUUID().toString();
    return new TaskRequest(
        id, name, args, null, 0, id, null, null, TimeLimits.ofSeconds(soft, hard));
  }
}
