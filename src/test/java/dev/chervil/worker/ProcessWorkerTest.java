package dev.chervil.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.chervil.Chervil;
import dev.chervil.census.Census;
import dev.chervil.census.CensusBaseline;
import dev.chervil.client.ChervilClient;
import dev.chervil.client.TaskFailedException;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.pool.process.ProcessPool;
import dev.chervil.testing.CensusAssertions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The worker on the process pool, end to end on the embedded broker: results, hard limits, and the
 * settlement policy for a lost child (WorkerLostError, or a requeue with acks late +
 * reject_on_worker_lost).
 */
class ProcessWorkerTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  final String broker = "memory://process-worker-" + UUID.randomUUID();
  final String queue = "chervil-test-" + UUID.randomUUID();
  Worker worker;
  ChervilClient client;

  void start(WorkerConfig config) throws Exception {
    worker =
        Chervil.worker(
            broker,
            "rpc://",
            PoolSpec.of(PoolKind.PROCESSES, 2),
            config.withQueues(List.of(queue)));
    worker.start();
    client = Chervil.client(broker, "rpc://");
    client.start();
    client.task("chervil.debug.noop").queue(queue).send().get(WAIT);
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
  void hardLimitAndLostChildAreSettledAsFailuresAndThePoolHeals() throws Exception {
    start(WorkerConfig.defaults());
    int expected = ((ProcessPool) worker.pool()).expectedChildren();
    await()
        .pollInSameThread()
        .atMost(WAIT)
        .until(
            () ->
                worker.pool().ownedChildPids().size() == expected
                    && Census.take(worker.pool()).children() == expected);
    CensusBaseline baseline = new CensusBaseline(Census.take(worker.pool()));
    assertEquals(
        List.of(5), client.task("chervil.debug.echo").args(5).queue(queue).send().get(WAIT));
    TaskFailedException hard =
        assertThrows(
            TaskFailedException.class,
            () ->
                client
                    .task("chervil.debug.spawn_sleep")
                    .args(600)
                    .queue(queue)
                    .timeLimits(null, 0.5)
                    .send()
                    .get(WAIT));
    assertEquals("TimeLimitExceeded", hard.excType());
    TaskFailedException lost =
        assertThrows(
            TaskFailedException.class,
            () -> client.task("chervil.debug.exit").args(9).queue(queue).send().get(WAIT));
    assertEquals("WorkerLostError", lost.excType());
    CensusAssertions.assertBackToBaseline(baseline, worker.pool(), expected, WAIT);
  }

  @Test
  void lostChildIsRequeuedWithAcksLateAndRejectOnWorkerLost() throws Exception {
    start(WorkerConfig.defaults().withAcksLate(true, true));
    client.task("chervil.debug.exit").args(3).queue(queue).send();
    // The message comes back after every loss (as in Celery); two requeues prove the policy.
    await().atMost(WAIT).until(() -> worker.stats().requeued() >= 2);
    assertEquals(0, worker.stats().failed());
  }
}
