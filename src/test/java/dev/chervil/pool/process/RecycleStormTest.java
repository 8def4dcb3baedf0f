package dev.chervil.pool.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.task.Outcome;
import dev.chervil.testing.LoggedProblems;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Celery 3.1's failure: with max-tasks-per-child=1 children come and go constantly, and a pool that
 * tracks pipes by fd number hands results to the wrong task when the OS reuses a number. Here child
 * start-up is delayed at random to shuffle the order, two producers submit at once, and every
 * result must come back exactly once, to its own task, and the supervisor logs no warning or error
 * on the way (a lost child, a broken channel, a failed start would each log one).
 *
 * <p>The suite runs {@code chervil.storm.tasks} (default 200: each task starts a JVM, ~0.5 s on two
 * cores); the 2,000 is {@code -Dchervil.storm.tasks=2000}, see docs/PROCESS_POOL.md.
 */
class RecycleStormTest extends ProcessPoolFixture {
  static final int TASKS = Integer.getInteger("chervil.storm.tasks", 200);

  @Test
  void everyTaskCompletesOnceWithItsOwnResult() throws Exception {
    String before = System.getProperty(ChildMain.START_DELAY_PROPERTY);
    System.setProperty(ChildMain.START_DELAY_PROPERTY, "300");
    try {
      startPool(new PoolSpec(PoolKind.PROCESSES, SIZE, List.of(), true, false, 1, null));
    } finally {
      if (before == null) {
        System.clearProperty(ChildMain.START_DELAY_PROPERTY);
      } else {
        System.setProperty(ChildMain.START_DELAY_PROPERTY, before);
      }
    }
    List<String> problems;
    try (LoggedProblems logged = LoggedProblems.watch()) {
      Map<String, CompletableFuture<Outcome>> sent = new ConcurrentHashMap<>();
      Map<String, Integer> input = new ConcurrentHashMap<>();
      Thread[] producers = new Thread[2];
      for (int p = 0; p < producers.length; p++) {
        int producer = p;
        producers[p] =
            Thread.ofPlatform()
                .start(
                    () -> {
                      for (int i = producer; i < TASKS; i += producers.length) {
                        var request = request("chervil.debug.echo", List.of(i), null, null);
                        input.put(request.id(), i);
                        sent.put(request.id(), pool.submit(request));
                      }
                    });
      }
      for (Thread t : producers) {
        t.join();
      }
      assertEquals(TASKS, sent.size());
      int completed = 0;
      for (var e : sent.entrySet()) {
        Outcome o = e.getValue().get(WAIT.toSeconds() * 10, TimeUnit.SECONDS);
        Outcome.Ok ok = assertInstanceOf(Outcome.Ok.class, o, e.getKey());
        assertEquals(List.of(input.get(e.getKey())), ok.result(), "result of task " + e.getKey());
        completed++;
      }
      assertEquals(TASKS, completed);
      problems = logged.lines();
    }
    assertEquals(List.of(), problems, "warnings or errors logged during the storm");
    assertCensusAtBaseline();
  }
}
