package dev.chervil.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chervil.Chervil;
import dev.chervil.backend.NoBackend;
import dev.chervil.broker.memory.MemoryBroker;
import dev.chervil.broker.memory.MemoryTransport;
import dev.chervil.client.ChervilClient;
import dev.chervil.pool.ExecutionPool;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A pool that refuses work because it is closing leaves the message to the broker, unsettled. */
class ClosingPoolTest {
  @Test
  void aMessageThePoolRefusesGoesBackToTheBrokerNotLost() {
    TestTasks tasks = new TestTasks();
    String queue = "chervil-test-" + UUID.randomUUID();
    MemoryBroker broker = new MemoryBroker();
    ExecutionPool pool = Chervil.pool(PoolSpec.of(PoolKind.THREADS, 2), tasks.registry());
    Worker worker =
        new Worker(
            new MemoryTransport(broker),
            pool,
            tasks.registry(),
            new NoBackend(),
            WorkerConfig.defaults().withQueues(List.of(queue)));
    worker.start();
    pool.close(); // the pool goes first, as it may while the worker shuts down
    try (ChervilClient client = new ChervilClient(new MemoryTransport(broker), new NoBackend())) {
      client.start();
      client.task("test.count").args(7).queue(queue).send();
      await().atMost(Duration.ofSeconds(10)).until(() -> worker.stats().received() == 1);
    }
    worker.close(); // closing the consumer hands the unsettled delivery back
    assertEquals(0, tasks.runsOf(7));
    assertEquals(1, broker.messageCount(queue), "the refused message is back in its queue");
  }
}
