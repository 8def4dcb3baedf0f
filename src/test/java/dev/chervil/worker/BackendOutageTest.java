package dev.chervil.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.Chervil;
import dev.chervil.backend.NoBackend;
import dev.chervil.broker.memory.MemoryBroker;
import dev.chervil.broker.memory.MemoryTransport;
import dev.chervil.broker.redis.OwnRedisServer;
import dev.chervil.census.Census;
import dev.chervil.census.CensusBaseline;
import dev.chervil.client.ChervilClient;
import dev.chervil.pool.ExecutionPool;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.testing.CensusAssertions;
import dev.chervil.testing.LoggedProblems;
import dev.chervil.testing.Services;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * A result backend that goes away while tasks finish loses nothing: stores are retried until it is
 * back, and with acks late no message is acked before its result is stored. The outage is a
 * redis-server of this test's own, stopped (SIGSTOP) and continued.
 */
class BackendOutageTest {
  private static final int TASKS = 100;

  @Test
  void everyResultIsStoredAcrossABackendOutageAndNoMessageIsAckedBeforeIt() throws Exception {
    Services.requireRedis(); // the machine's redis-server binary, not the shared server
    try (OwnRedisServer redis = new OwnRedisServer().start();
        LoggedProblems problems = LoggedProblems.watch()) {
      TestTasks tasks = new TestTasks();
      String queue = "chervil-test-" + UUID.randomUUID();
      MemoryBroker broker = new MemoryBroker();
      ExecutionPool pool = Chervil.pool(PoolSpec.of(PoolKind.THREADS, 2), tasks.registry());
      MemoryTransport transport = new MemoryTransport(broker);
      Worker worker =
          new Worker(
              transport,
              pool,
              tasks.registry(),
              Chervil.backend(redis.url(0), transport),
              WorkerConfig.defaults().withQueues(List.of(queue)).withAcksLate(true, false));
      worker.start();
      try (ChervilClient client = new ChervilClient(new MemoryTransport(broker), new NoBackend())) {
        client.start();
        client.task("test.count").args(-1).queue(queue).send(); // warm up, then the baseline
        await().until(() -> storedResults(redis) == 1);
        CensusBaseline baseline = new CensusBaseline(Census.take(pool));

        redis.pause(); // the server answers nothing, and keeps what it has
        for (int i = 0; i < TASKS; i++) {
          client.task("test.count").args(i).queue(queue).send();
        }
        // The worker keeps running tasks up to its prefetch window, and keeps their messages: none
        // is acked while its result cannot be stored.
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    problems.lines().stream().filter(l -> l.contains("store-retry")).count() >= 3);
        assertTrue(broker.messageCount(queue) > 0, "messages wait in the queue, none dropped");
        redis.resume();

        await().atMost(Duration.ofSeconds(60)).until(() -> storedResults(redis) == TASKS + 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> worker.stats().settled() >= TASKS + 1);
        assertEquals(0, broker.messageCount(queue), "every message acked once its result is in");
        for (int i = 0; i < TASKS; i++) {
          assertTrue(tasks.runsOf(i) >= 1, "task " + i + " ran");
        }
        // The one child is this test's own redis-server.
        CensusAssertions.assertBackToBaseline(baseline, pool, 1, Duration.ofSeconds(10));
        assertTrue(
            problems.lines().stream().noneMatch(l -> l.contains("result-store-failed")),
            "a short outage is ridden out by retries, not given up on");
      } finally {
        worker.close();
      }
    }
  }

  private static long storedResults(OwnRedisServer redis) {
    try (Jedis j = new Jedis(URI.create(redis.url(0)))) {
      return j.keys("celery-task-meta-*").size();
    } catch (RuntimeException down) {
      return -1;
    }
  }
}
