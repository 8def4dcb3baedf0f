package dev.chervil.pool.thread;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.census.Census;
import dev.chervil.census.CensusBaseline;
import dev.chervil.debug.DebugTasks;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskRegistry;
import dev.chervil.task.TaskRequest;
import dev.chervil.task.TaskRunner;
import dev.chervil.testing.CensusAssertions;
import dev.chervil.testing.HoldTask;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** pool_grow and pool_shrink on the thread pool: concurrency follows the size, no task is cut. */
class ThreadPoolResizeTest {
  private static final int SIZE = 2;
  private static final Duration STEADY = Duration.ofMillis(300);

  private final HoldTask hold = new HoldTask();
  private TaskRegistry registry;
  private ThreadPool pool;
  private CensusBaseline baseline;

  @BeforeEach
  void startPool() throws Exception {
    registry = new TaskRegistry().register(new DebugTasks()).register(hold.definition());
    pool = new ThreadPool("threads", SIZE, false, new TaskRunner(registry));
    pool.start();
    assertEquals(new Outcome.Ok(null), submit("chervil.debug.noop").get(10, SECONDS));
    baseline = new CensusBaseline(Census.take(pool));
  }

  @AfterEach
  void closePool() {
    hold.open();
    pool.close();
  }

  @Test
  void growRunsMoreTasksAtOnceAndShrinkRetiresSlotsOnlyAfterTheirTasks() throws Exception {
    assertEquals(SIZE + 2, pool.resize(+2));
    assertEquals(SIZE + 2, pool.size());
    List<CompletableFuture<Outcome>> held = submitHolds(SIZE + 4);
    await().atMost(5, SECONDS).until(() -> hold.inside() == SIZE + 2);
    await().during(STEADY).atMost(5, SECONDS).until(() -> hold.inside() == SIZE + 2);

    // All four slots are busy: the shrink is answered at once and the tasks run on.
    assertEquals(1, pool.resize(-(SIZE + 1)));
    assertEquals(1, pool.size());
    await().during(STEADY).atMost(5, SECONDS).until(() -> hold.inside() == SIZE + 2);
    hold.open();
    for (CompletableFuture<Outcome> f : held) {
      assertEquals(new Outcome.Ok("through"), f.get(5, SECONDS), "no task was interrupted");
    }
    await().atMost(5, SECONDS).until(() -> slotThreads() == 1);

    hold.close();
    List<CompletableFuture<Outcome>> after = submitHolds(3);
    await().atMost(5, SECONDS).until(() -> hold.inside() == 1);
    await().during(STEADY).atMost(5, SECONDS).until(() -> hold.inside() == 1);
    hold.open();
    for (CompletableFuture<Outcome> f : after) {
      assertEquals(new Outcome.Ok("through"), f.get(5, SECONDS));
    }
    CensusAssertions.assertBackToBaseline(baseline, pool, 0, Duration.ofSeconds(5));
  }

  @Test
  void anIdleSlotRetiresAtOnceAndAGrowBackRestoresTheSize() throws Exception {
    assertEquals(1, pool.resize(-1));
    await().atMost(5, SECONDS).until(() -> slotThreads() == 1);
    assertEquals(SIZE, pool.resize(+1));
    await().atMost(5, SECONDS).until(() -> slotThreads() == SIZE);
    List<CompletableFuture<Outcome>> held = submitHolds(SIZE);
    await().atMost(5, SECONDS).until(() -> hold.inside() == SIZE);
    hold.open();
    for (CompletableFuture<Outcome> f : held) {
      assertEquals(new Outcome.Ok("through"), f.get(5, SECONDS));
    }
    CensusAssertions.assertBackToBaseline(baseline, pool, 0, Duration.ofSeconds(5));
  }

  @Test
  void fewerThanOneSlotIsRefusedAndChangesNothing() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> pool.resize(-SIZE));
    assertTrue(e.getMessage().contains("at least one slot"), e.getMessage());
    assertEquals(SIZE, pool.size());
    assertEquals(SIZE, pool.resize(0));
  }

  @Test
  void theSoloPoolCannotResizeLikeCelerysSolo() {
    ThreadPool solo = new ThreadPool("solo", 1, false, new TaskRunner(registry));
    solo.start();
    try {
      UnsupportedOperationException e =
          assertThrows(UnsupportedOperationException.class, () -> solo.resize(+1));
      assertTrue(e.getMessage().contains("solo"), e.getMessage());
      assertEquals(1, solo.size());
    } finally {
      solo.close();
    }
  }

  @Test
  void aClosedPoolCannotResize() {
    pool.close();
    assertThrows(IllegalStateException.class, () -> pool.resize(+1));
    assertEquals(SIZE, pool.size());
  }

  private List<CompletableFuture<Outcome>> submitHolds(int n) {
    List<CompletableFuture<Outcome>> held = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      held.add(submit("test.hold"));
    }
    return held;
  }

  private CompletableFuture<Outcome> submit(String name) {
    return pool.submit(TaskRequest.of(UUID.randomUUID().toString(), name, List.of()));
  }

  private static long slotThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().matches("chervil-threads-\\d+") && t.isAlive())
        .count();
  }
}
