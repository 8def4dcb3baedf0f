package dev.chervil.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chervil.Chervil;
import dev.chervil.backend.NoBackend;
import dev.chervil.backend.ResultMeta;
import dev.chervil.broker.Transport;
import dev.chervil.broker.memory.MemoryBroker;
import dev.chervil.broker.memory.MemoryTransport;
import dev.chervil.census.Census;
import dev.chervil.census.CensusBaseline;
import dev.chervil.client.ChervilClient;
import dev.chervil.pool.ExecutionPool;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.testing.CensusAssertions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A slot is free the moment its outcome exists: a result backend that is slow to store does not
 * hold the pool. The backend here blocks every store until the test lets it go.
 */
class SlowBackendTest {
  private static final int TASKS = 20;

  @Test
  void aSlowBackendDoesNotStallThePool() throws Exception {
    CountDownLatch backendUp = new CountDownLatch(1);
    AtomicInteger stores = new AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean slowNow =
        new java.util.concurrent.atomic.AtomicBoolean();
    NoBackend slow =
        new NoBackend() {
          @Override
          public void store(ResultMeta meta, String replyTo, String correlationId) {
            try {
              if (slowNow.get()) {
                backendUp.await(30, TimeUnit.SECONDS);
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            stores.incrementAndGet();
          }
        };
    TestTasks tasks = new TestTasks();
    String queue = "chervil-test-" + UUID.randomUUID();
    MemoryBroker broker = new MemoryBroker();
    Transport transport = new MemoryTransport(broker);
    ExecutionPool pool = Chervil.pool(PoolSpec.of(PoolKind.THREADS, 1), tasks.registry());
    Worker worker =
        new Worker(
            transport,
            pool,
            tasks.registry(),
            slow,
            WorkerConfig.defaults().withQueues(List.of(queue)));
    worker.start();
    CensusBaseline baseline;
    try (ChervilClient client = new ChervilClient(new MemoryTransport(broker), new NoBackend())) {
      client.start();
      client.task("chervil.debug.noop").queue(queue).send(); // warm up, then the baseline
      await().atMost(Duration.ofSeconds(20)).until(() -> stores.get() == 1);
      baseline = new CensusBaseline(Census.take(pool));
      stores.set(0);
      slowNow.set(true);
      for (int i = 0; i < TASKS; i++) {
        client.task("test.count").args(i).queue(queue).send();
      }
      // One slot ran every task while the first result is still not stored.
      await().atMost(Duration.ofSeconds(20)).until(() -> tasks.runs.size() == TASKS);
      assertEquals(0, stores.get());

      backendUp.countDown();
      await().atMost(Duration.ofSeconds(20)).until(() -> stores.get() == TASKS);
      assertEquals(0, broker.messageCount(queue));
      CensusAssertions.assertBackToBaseline(baseline, pool, 0, Duration.ofSeconds(10));
    } finally {
      backendUp.countDown();
      worker.close();
    }
  }
}
