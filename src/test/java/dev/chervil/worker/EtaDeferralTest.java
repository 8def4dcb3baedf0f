package dev.chervil.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.Chervil;
import dev.chervil.census.Census;
import dev.chervil.census.CensusBaseline;
import dev.chervil.client.ChervilClient;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.testing.CensusAssertions;
import dev.chervil.testing.LoggedProblems;
import dev.chervil.testing.OwnRabbitMq;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * An ETA further away than the broker's {@code consumer_timeout} survives it: the worker hands the
 * message to RabbitMQ's delayed delivery instead of holding it unacked, so the channel is never
 * closed under it and the task runs once, on time. On a RabbitMQ node of this test's own with a 5 s
 * {@code consumer_timeout} (checked every second).
 */
class EtaDeferralTest {
  @Test
  void anEtaPastConsumerTimeoutRunsOnceOnTimeAndTheChannelStaysOpen() throws Exception {
    OwnRabbitMq.requireInstalled();
    try (OwnRabbitMq node =
            OwnRabbitMq.start(
                Map.of("consumer_timeout", "5000"),
                "[{rabbit, [{channel_tick_interval, 1000}]}].");
        LoggedProblems problems = LoggedProblems.watch()) {
      TestTasks tasks = new TestTasks();
      String queue = "chervil-test-eta-" + UUID.randomUUID();
      Worker worker =
          Chervil.worker(
              node.url(),
              "rpc://",
              PoolSpec.of(PoolKind.THREADS, 1),
              tasks.registry(),
              WorkerConfig.defaults()
                  .withQueues(List.of(queue))
                  .withEtaDeferral(Duration.ofSeconds(2)));
      worker.start();
      try (ChervilClient client = Chervil.client(node.url(), "rpc://")) {
        client.start();
        client.task("chervil.debug.noop").queue(queue).send().get(Duration.ofSeconds(30));
        int nodeProcesses = (int) ProcessHandle.current().children().count();
        CensusBaseline baseline = new CensusBaseline(Census.take(worker.pool()));

        Instant eta = Instant.now().plusSeconds(9); // well past the 5 s consumer_timeout
        var result = client.task("test.stamp").queue(queue).countdown(Duration.ofSeconds(9)).send();
        assertEquals("ran", result.get(Duration.ofSeconds(40)));

        assertTrue(
            tasks.startedAtMillis.getFirst() >= eta.toEpochMilli() - 50,
            "not run before its ETA: ran at " + tasks.startedAtMillis + ", eta " + eta);
        // Once: a redelivery after a closed channel would run it again within the window.
        await()
            .during(Duration.ofSeconds(3))
            .atMost(Duration.ofSeconds(5))
            .until(() -> tasks.runsOf("stamp") == 1);
        assertTrue(
            problems.lines().stream().noneMatch(l -> l.contains("consumer-channel-closed")),
            "the broker never closed the channel: " + problems.lines());
        // The node's own processes are this test's children, not the pool's.
        CensusAssertions.assertBackToBaseline(
            baseline, worker.pool(), nodeProcesses, Duration.ofSeconds(10));
      } finally {
        worker.close();
      }
    }
  }

  @Test
  void aClientCountdownSentThroughTheBrokerIsHeldByNoWorker() throws Exception {
    OwnRabbitMq.requireInstalled();
    try (OwnRabbitMq node =
            OwnRabbitMq.start(
                Map.of("consumer_timeout", "5000"),
                "[{rabbit, [{channel_tick_interval, 1000}]}].");
        LoggedProblems problems = LoggedProblems.watch()) {
      TestTasks tasks = new TestTasks();
      String queue = "chervil-test-eta-" + UUID.randomUUID();
      Worker worker =
          Chervil.worker(
              node.url(),
              "rpc://",
              PoolSpec.of(PoolKind.THREADS, 1),
              tasks.registry(),
              // The worker would hold it (no deferral): only the client's choice keeps it away.
              WorkerConfig.defaults().withQueues(List.of(queue)).withEtaDeferral(null));
      worker.start();
      try (ChervilClient client = Chervil.client(node.url(), "rpc://")) {
        client.start();
        Instant eta = Instant.now().plusSeconds(8);
        var result =
            client
                .task("test.stamp")
                .queue(queue)
                .countdown(Duration.ofSeconds(8))
                .brokerDelay()
                .send();
        await()
            .during(Duration.ofSeconds(5))
            .atMost(Duration.ofSeconds(6))
            .until(() -> worker.stats().received() == 0);
        assertEquals("ran", result.get(Duration.ofSeconds(40)));
        assertTrue(tasks.startedAtMillis.getFirst() >= eta.toEpochMilli() - 1000);
        assertEquals(1, tasks.runsOf("stamp"));
        assertTrue(
            problems.lines().stream().noneMatch(l -> l.contains("consumer-channel-closed")),
            problems.lines().toString());
      } finally {
        worker.close();
      }
    }
  }
}
