package dev.chervil.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.Chervil;
import dev.chervil.client.ChervilClient;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.testing.LoggedProblems;
import dev.chervil.testing.OwnRabbitMq;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The "8 of 300 ran twice", end to end on a RabbitMQ node of this test's own: a worker with
 * two threads and a prefetch window of 50 is draining 300 tasks (every tenth held for its ETA) when
 * the broker closes every connection. The worker reconnects and every task runs. A buffered or
 * ETA-held delivery of the dead channel is dropped, not run, since the broker hands it out again;
 * so the only task that may run twice is one that had already begun before the worker noticed the
 * loss (docs/RELIABILITY.md, "At-least-once, stated"): its ack — sent at its start when acked
 * early, at its end when acked late — may have died with the connection.
 *
 * <p>Without the stale check in {@link Request#begin()} the buffered deliveries run after the loss
 * and again as the broker's copies: dozens of duplicates whose first run began after the loss.
 */
class ConnectionBlipTest {
  private static final int TASKS = 300;
  private static final int CONCURRENCY = 2;
  private static final int PREFETCH_MULTIPLIER = 25; // 50 messages buffered in the worker
  private static final int TASK_MILLIS = 25;
  private static final Duration ETA = Duration.ofSeconds(2);
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static OwnRabbitMq node;

  private final TestTasks tasks = new TestTasks();
  private final String queue = "chervil-test-blip-" + UUID.randomUUID();
  private Worker worker;
  private ChervilClient client;

  @BeforeAll
  static void startNode() {
    node = OwnRabbitMq.start();
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (worker != null) {
      worker.close();
    }
  }

  @Test
  void acksEarlyAfterAConnectionBlipEveryTaskRunsAndOnlyOneBegunBeforeTheLossRunsTwice() {
    runThroughABlip(false);
  }

  @Test
  void acksLateAfterAConnectionBlipEveryTaskRunsAndOnlyOneBegunBeforeTheLossRunsTwice() {
    runThroughABlip(true);
  }

  private void runThroughABlip(boolean acksLate) {
    start(acksLate);
    List<String> ids = IntStream.range(0, TASKS).mapToObj(i -> "blip-" + i).toList();
    for (int i = 0; i < TASKS; i++) {
      var call = client.task("test.record").args(ids.get(i), TASK_MILLIS).queue(queue);
      if (i % 10 == 0) {
        call.countdown(ETA); // held unacked by the worker's ETA timer
      }
      call.ignoreResult(true).send();
    }

    long lostAt;
    try (LoggedProblems problems = LoggedProblems.watch()) {
      await().atMost(WAIT).until(() -> tasks.runStarts.size() >= 20);
      CompletableFuture<Long> lost =
          CompletableFuture.supplyAsync(
              () -> {
                await()
                    .atMost(WAIT)
                    .pollInterval(Duration.ofMillis(1))
                    .until(
                        () ->
                            problems.lines().stream()
                                .anyMatch(l -> l.contains("event=connection-lost")));
                return System.nanoTime(); // at or after the worker noticed
              });
      node.closeAllConnections("chervil test: connection blip");
      lostAt = lost.join();
      assertTrue(
          tasks.runStarts.size() < TASKS,
          "the blip came while the worker was still draining: " + tasks.runStarts.size());

      await().atMost(WAIT).until(() -> tasks.runStarts.keySet().containsAll(ids));
    }
    // A copy the broker still redelivers would run within this quiet window.
    AtomicInteger seen = new AtomicInteger(-1);
    await()
        .during(Duration.ofSeconds(3))
        .atMost(WAIT)
        .until(() -> seen.getAndSet(totalRuns()) == totalRuns());

    Map<String, List<Long>> twice =
        tasks.runStarts.entrySet().stream()
            .filter(e -> e.getValue().size() > 1)
            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    System.out.printf(
        "connection blip (acks_late=%s): %d of %d tasks ran twice: %s%n",
        acksLate, twice.size(), TASKS, twice.keySet());
    assertEquals(TASKS, tasks.runStarts.size(), "every task ran");
    twice.forEach(
        (id, starts) -> {
          assertEquals(2, starts.size(), id + " ran at most twice");
          assertTrue(
              starts.getFirst() < lostAt,
              id + "'s first run began after the connection was lost: a stale delivery ran");
        });
    // Between the broker closing the connection and the worker noticing, the slots go on
    // beginning (and acking into the void) a task per 25 ms each: a handful at most, while the
    // buffered window alone is 50 and the ETA-held tasks 30. Measured: 2 acked early, 3 late.
    assertTrue(twice.size() <= 10, "only tasks begun around the loss run twice: " + twice);
  }

  private int totalRuns() {
    return tasks.runStarts.values().stream().mapToInt(List::size).sum();
  }

  private void start(boolean acksLate) {
    worker =
        Chervil.worker(
            node.url(),
            "disabled",
            PoolSpec.of(PoolKind.THREADS, CONCURRENCY),
            tasks.registry(),
            WorkerConfig.defaults()
                .withQueues(List.of(queue))
                .withPrefetchMultiplier(PREFETCH_MULTIPLIER)
                .withAcksLate(acksLate, false));
    worker.start();
    client = Chervil.client(node.url(), "disabled");
    client.start();
  }
}
