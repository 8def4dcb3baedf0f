package dev.chervil.worker;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.backend.TaskState;
import dev.chervil.census.Census;
import dev.chervil.client.AsyncResult;
import dev.chervil.client.TaskFailedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a worker does with messages, specified once and run on every transport (the subclasses).
 * Every test ends with the census back at its baseline.
 */
abstract class WorkerContract extends WorkerFixture {

  @Test
  void runsATaskAndReturnsItsResult() throws Exception {
    assertEquals(
        5,
        ((Number) client.task("proj.tasks.add").args(2, 3).queue(queue).send().get(WAIT))
            .intValue());
    assertCensusAtBaseline();
  }

  @Test
  void thousandTasksOverFourThreadsAreEachCompletedExactlyOnce() throws Exception {
    List<AsyncResult> results = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      results.add(client.task("test.count").args(i).queue(queue).send());
    }
    for (int i = 0; i < 1000; i++) {
      assertEquals(i, ((Number) results.get(i).get(WAIT)).intValue(), "result of task " + i);
    }
    for (int i = 0; i < 1000; i++) {
      assertEquals(1, tasks.runsOf(i), "task " + i + " ran exactly once");
    }
    assertEquals(1000, tasks.runs.size());
    assertCensusAtBaseline();
  }

  @Test
  void softLimitIsCaughtByTheTask() throws Exception {
    Object result =
        client.task("test.catches_soft_limit").queue(queue).timeLimits(0.3, null).send().get(WAIT);
    assertEquals("cleaned", result);
    assertCensusAtBaseline();
  }

  @Test
  void uncaughtSoftLimitFailsWithSoftTimeLimitExceeded() {
    TaskFailedException e =
        assertThrows(
            TaskFailedException.class,
            () ->
                client
                    .task("chervil.debug.sleep")
                    .args(30)
                    .queue(queue)
                    .timeLimits(0.3, null)
                    .send()
                    .get(WAIT));
    assertEquals("SoftTimeLimitExceeded", e.excType());
    assertCensusAtBaseline();
  }

  @Test
  void hardLimitInTheThreadPoolGivesTimeLimitExceededAndKeepsThePoolSize() throws Exception {
    TaskFailedException e =
        assertThrows(
            TaskFailedException.class,
            () ->
                client
                    .task("chervil.debug.spin")
                    .args(2.5)
                    .queue(queue)
                    .timeLimits(null, 0.3)
                    .send()
                    .get(WAIT));
    assertEquals("TimeLimitExceeded", e.excType());
    assertEquals(
        1, Census.take(worker.pool()).abandoned(), "the stuck thread is counted as abandoned");

    // All THREADS slots still serve while the abandoned thread spins on.
    List<AsyncResult> sleepers = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < THREADS; i++) {
      sleepers.add(client.task("chervil.debug.sleep").args(0.5).queue(queue).send());
    }
    for (AsyncResult r : sleepers) {
      r.get(WAIT);
    }
    assertTrue(
        Duration.ofNanos(System.nanoTime() - start).toMillis() < 2000,
        "four 0.5 s sleeps ran side by side on four slots");
    await().atMost(10, SECONDS).until(() -> worker.pool().abandonedThreads() == 0);
    assertCensusAtBaseline();
  }

  @Test
  void taskRequestedRetryRunsAgainAfterItsCountdown() throws Exception {
    assertEquals(
        2, ((Number) client.task("test.retry_twice").queue(queue).send().get(WAIT)).intValue());
    assertEquals(3, tasks.startedAtMillis.size());
    for (int i = 1; i < 3; i++) {
      long gap = tasks.startedAtMillis.get(i) - tasks.startedAtMillis.get(i - 1);
      assertTrue(gap >= 250, "retry " + i + " waited its 300 ms countdown, waited " + gap + " ms");
    }
    assertEquals(2, worker.stats().retried());
    assertCensusAtBaseline();
  }

  @Test
  void autoretryBacksOffThenFailsWithTheOriginalErrorAfterMaxRetries() {
    TaskFailedException e =
        assertThrows(
            TaskFailedException.class,
            () -> client.task("test.always_io_error").queue(queue).send().get(WAIT));
    assertEquals("IOException", e.excType());
    assertEquals("disk on fire", e.excMessage());
    assertEquals(3, tasks.runsOf("io"), "first run plus max_retries=2");
    assertCensusAtBaseline();
  }

  @Test
  void etaTaskRunsNoEarlierThanItsEta() throws Exception {
    long sent = System.currentTimeMillis();
    assertEquals(
        "ran",
        client.task("test.stamp").queue(queue).countdown(Duration.ofSeconds(1)).send().get(WAIT));
    assertTrue(
        tasks.startedAtMillis.getFirst() >= sent + 1000 - 20,
        "started " + (tasks.startedAtMillis.getFirst() - sent) + " ms after sending");
    assertCensusAtBaseline();
  }

  @Test
  void etaTasksDoNotBlockTasksThatAreDueNow() throws Exception {
    // More held ETA tasks than the prefetch window: the window must grow for them.
    int held = THREADS * 4 + 4;
    List<AsyncResult> later = new ArrayList<>();
    for (int i = 0; i < held; i++) {
      later.add(
          client.task("chervil.debug.noop").queue(queue).countdown(Duration.ofSeconds(3)).send());
    }
    long start = System.nanoTime();
    assertEquals(
        5,
        ((Number) client.task("proj.tasks.add").args(2, 3).queue(queue).send().get(WAIT))
            .intValue());
    assertTrue(
        Duration.ofNanos(System.nanoTime() - start).toMillis() < 2500, "ran before the ETA tasks");
    for (AsyncResult r : later) {
      r.get(WAIT);
    }
    assertCensusAtBaseline();
  }

  @Test
  void expiredTaskIsRevokedWithoutRunning() throws Exception {
    // Held for its ETA, then found expired when due: the worker, not the broker, must notice.
    AsyncResult r =
        client
            .task("test.stamp")
            .queue(queue)
            .countdown(Duration.ofSeconds(2))
            .expires(Duration.ofSeconds(1))
            .send();
    TaskFailedException e = assertThrows(TaskFailedException.class, () -> r.get(WAIT));
    assertEquals(TaskState.REVOKED, e.state());
    assertEquals(0, tasks.runsOf("stamp"));
    assertCensusAtBaseline();
  }

  @Test
  void ignoredResultIsNotStoredButTheTaskRuns() throws Exception {
    client.task("test.count").args(7).queue(queue).ignoreResult(true).send();
    await().atMost(10, SECONDS).until(() -> tasks.runsOf(7) == 1);
    assertCensusAtBaseline();
  }
}
