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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An ETA further away than the broker's {@code consumer_timeout} survives it: the message goes
 * through RabbitMQ's delayed delivery instead of being held unacked, so the channel is never closed
 * under it and the task runs once, on time. On a RabbitMQ node of this test's own with a 5 s {@code
 * consumer_timeout} (checked every second). With the deferral off, the first test fails: the broker
 * closes the channel.
 */
class EtaDeferralTest {
  private static OwnRabbitMq node;

  private final TestTasks tasks = new TestTasks();
  private final String queue = "chervil-test-eta-" + UUID.randomUUID();
  private LoggedProblems problems;
  private Worker worker;
  private ChervilClient client;

  @BeforeAll
  static void startNode() {
    OwnRabbitMq.requireInstalled();
    node =
        OwnRabbitMq.start(
            Map.of("consumer_timeout", "5000"), "[{rabbit, [{channel_tick_interval, 1000}]}].");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @BeforeEach
  void watchLog() {
    problems = LoggedProblems.watch();
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (worker != null) {
      worker.close();
    }
    problems.close();
  }

  @Test
  void anEtaPastConsumerTimeoutRunsOnceOnTimeAndTheChannelStaysOpen() throws Exception {
    start(Duration.ofSeconds(2));
    client.task("chervil.debug.noop").queue(queue).send().get(Duration.ofSeconds(30));
    int nodeProcesses = (int) ProcessHandle.current().children().count();
    CensusBaseline baseline = new CensusBaseline(Census.take(worker.pool()));

    Instant eta = Instant.now().plusSeconds(9); // well past the 5 s consumer_timeout
    var result = client.task("test.stamp").queue(queue).countdown(Duration.ofSeconds(9)).send();

    assertEquals("ran", result.get(Duration.ofSeconds(40)));
    assertRanOnceOnTimeWithTheChannelOpen(eta);
    // The node's own processes are this test's children, not the pool's.
    CensusAssertions.assertBackToBaseline(
        baseline, worker.pool(), nodeProcesses, Duration.ofSeconds(10));
  }

  @Test
  void aClientCountdownSentThroughTheBrokerIsHeldByNoWorker() throws Exception {
    start(null); // the worker would hold it: only the client's choice keeps it away
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
    assertRanOnceOnTimeWithTheChannelOpen(eta);
  }

  private void start(Duration etaDeferral) {
    worker =
        Chervil.worker(
            node.url(),
            "rpc://",
            PoolSpec.of(PoolKind.THREADS, 1),
            tasks.registry(),
            WorkerConfig.defaults().withQueues(List.of(queue)).withEtaDeferral(etaDeferral));
    worker.start();
    client = Chervil.client(node.url(), "rpc://");
    client.start();
  }

  private void assertRanOnceOnTimeWithTheChannelOpen(Instant eta) {
    assertTrue(
        tasks.startedAtMillis.getFirst() >= eta.toEpochMilli() - 50,
        "not run before its ETA: ran at " + tasks.startedAtMillis + ", eta " + eta);
    // Once: a redelivery after a closed channel would run it again within this window.
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(5))
        .until(() -> tasks.runsOf("stamp") == 1);
    assertTrue(
        problems.lines().stream().noneMatch(l -> l.contains("consumer-channel-closed")),
        "the broker never closed the channel: " + problems.lines());
  }
}
