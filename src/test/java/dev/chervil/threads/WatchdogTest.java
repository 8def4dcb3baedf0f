package dev.chervil.threads;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.limits.DeadlineScheduler;
import dev.chervil.testing.LoggedProblems;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Each way a worker thread can die is logged with the thread's name and its work goes on. */
class WatchdogTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void aLoopThatThrowsIsLoggedWithItsThreadNameAndRunsAgainWhereItsStateLeftOff() throws Exception {
    AtomicInteger done = new AtomicInteger();
    AtomicBoolean stopping = new AtomicBoolean();
    try (LoggedProblems problems = LoggedProblems.watch()) {
      Thread t =
          Thread.ofPlatform()
              .name("chervil-test-loop")
              .start(
                  Watchdog.restarting(
                      stopping::get,
                      () -> {
                        while (!stopping.get()) {
                          if (done.incrementAndGet() % 3 == 0) {
                            throw new StackOverflowError("every third round");
                          }
                        }
                      }));
      await().atMost(WAIT).until(() -> done.get() >= 7); // past two throws: restarted twice
      assertTrue(t.isAlive());
      stopping.set(true);
      t.join(WAIT);
      assertTrue(!t.isAlive(), "a stopping owner ends the loop");
      assertTrue(
          problems.lines().stream()
              .anyMatch(
                  l ->
                      l.contains("ERROR")
                          && l.contains("event=thread-loop-failed")
                          && l.contains("thread=chervil-test-loop")
                          && l.contains("StackOverflowError")),
          () -> "logged with the thread's name: " + problems.lines());
    }
  }

  @Test
  void aLoopThatThrowsWhileItsOwnerStopsIsNotRestarted() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    Thread t =
        Thread.ofPlatform()
            .start(
                Watchdog.restarting(
                    () -> true,
                    () -> {
                      runs.incrementAndGet();
                      throw new IllegalStateException("closed under me");
                    }));
    t.join(WAIT);
    assertEquals(1, runs.get());
  }

  @Test
  void aPeriodicActionThatThrowsKeepsItsSchedule() {
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(Watchdog.threads("chervil-test-timer"));
    AtomicInteger runs = new AtomicInteger();
    try (LoggedProblems problems = LoggedProblems.watch()) {
      timer.scheduleAtFixedRate(
          Watchdog.guarded(
              "beat",
              () -> {
                runs.incrementAndGet();
                throw new AssertionError("each beat fails");
              }),
          0,
          10,
          TimeUnit.MILLISECONDS);
      // Unguarded, the executor would cancel it after the first throw.
      await().atMost(WAIT).until(() -> runs.get() >= 3);
      assertTrue(
          problems.lines().stream()
              .anyMatch(
                  l ->
                      l.contains("event=thread-action-failed")
                          && l.contains("thread=chervil-test-timer")
                          && l.contains("action=beat")),
          () -> problems.lines().toString());
    } finally {
      timer.shutdownNow();
    }
  }

  @Test
  void anExecutorThreadATaskKilledIsReplacedAndTheQueuedWorkStillRuns() {
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(10),
            Watchdog.threads("chervil-test-settler"));
    List<String> ran = new CopyOnWriteArrayList<>();
    try (LoggedProblems problems = LoggedProblems.watch()) {
      executor.execute(
          () -> {
            throw new OutOfMemoryError("simulated");
          });
      executor.execute(() -> ran.add(Thread.currentThread().getName()));
      executor.execute(() -> ran.add(Thread.currentThread().getName()));
      await().atMost(WAIT).until(() -> ran.size() == 2);
      assertEquals(List.of("chervil-test-settler-2", "chervil-test-settler-2"), ran);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  problems.lines().stream()
                      .anyMatch(
                          l ->
                              l.contains("event=thread-died")
                                  && l.contains("thread=chervil-test-settler ")
                                  && l.contains("OutOfMemoryError")));
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void aDeadlineActionThatThrowsAnErrorDoesNotStopTheNextDeadline() {
    AtomicBoolean next = new AtomicBoolean();
    try (DeadlineScheduler timer = new DeadlineScheduler("chervil-test-deadlines");
        LoggedProblems problems = LoggedProblems.watch()) {
      timer.schedule(
          Duration.ZERO,
          () -> {
            throw new StackOverflowError("limit action overflowed");
          });
      timer.schedule(Duration.ofMillis(20), () -> next.set(true));
      await().atMost(WAIT).untilTrue(next);
      assertTrue(
          problems.lines().stream()
              .anyMatch(
                  l ->
                      l.contains("thread=chervil-test-deadlines")
                          && l.contains("StackOverflowError")),
          () -> problems.lines().toString());
    }
  }
}
