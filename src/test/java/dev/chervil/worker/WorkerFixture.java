package dev.chervil.worker;

import dev.chervil.Chervil;
import dev.chervil.census.Census;
import dev.chervil.census.CensusBaseline;
import dev.chervil.client.ChervilClient;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.testing.CensusAssertions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A worker and a client on one transport (chosen by the subclass), with the census baseline taken
 * once both are warm.
 */
abstract class WorkerFixture {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final int THREADS = 4;

  final TestTasks tasks = new TestTasks();
  final String queue = "chervil-test-" + UUID.randomUUID();
  Worker worker;
  ChervilClient client;
  CensusBaseline baseline;

  abstract String brokerUrl();

  String backendUrl() {
    return "rpc://";
  }

  WorkerConfig config() {
    return WorkerConfig.defaults().withQueues(List.of(queue));
  }

  @BeforeEach
  void startWorkerAndClient() throws Exception {
    worker =
        Chervil.worker(
            brokerUrl(),
            backendUrl(),
            PoolSpec.of(PoolKind.THREADS, THREADS),
            tasks.registry(),
            config());
    worker.start();
    client =
        Chervil.client(brokerUrl(), backendUrl())
            .withDeadLetterExchange(config().deadLetterExchange());
    client.start();
    // Warm up so lazily started threads (settler, timers, broker I/O) are in the baseline.
    client.task("chervil.debug.noop").queue(queue).send().get(WAIT);
    client.task("chervil.debug.noop").queue(queue).countdown(Duration.ofMillis(1)).send().get(WAIT);
    baseline = new CensusBaseline(Census.take(worker.pool()));
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

  void assertCensusAtBaseline() {
    CensusAssertions.assertBackToBaseline(baseline, worker.pool(), 0, Duration.ofSeconds(10));
  }
}
