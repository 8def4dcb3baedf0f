package dev.chervil.control;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.Chervil;
import dev.chervil.broker.Transport;
import dev.chervil.broker.Transports;
import dev.chervil.client.AsyncResult;
import dev.chervil.client.ChervilClient;
import dev.chervil.events.EventReceiver;
import dev.chervil.interop.InteropTasks;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.task.TaskRegistry;
import dev.chervil.testing.HoldTask;
import dev.chervil.worker.Worker;
import dev.chervil.worker.WorkerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Java worker steered and watched through its own wire on the embedded broker: the commands that
 * the Python interop tests do not reach (consumers, pool size, time limits, shutdown, statedb,
 * destinations, unknown commands) and worker/task events end to end.
 */
class WorkerRemoteControlTest {
  static final Duration WAIT = Duration.ofSeconds(20);
  static final Duration STEADY = Duration.ofMillis(300);

  // test.hold: counts itself inside and waits for the gate (the worker runs it on its own threads).
  private static final HoldTask hold = new HoldTask();

  private static Worker worker(String broker, String node, String queue, NodeOptions options) {
    return worker(broker, node, queue, options, PoolSpec.of(PoolKind.THREADS, 2));
  }

  private static Worker worker(
      String broker, String node, String queue, NodeOptions options, PoolSpec pool) {
    return Chervil.worker(
        broker,
        "rpc://",
        pool,
        new TaskRegistry().register(new InteropTasks()).register(hold.definition()),
        WorkerConfig.defaults()
            .withQueues(List.of(queue))
            .withNode(
                new NodeOptions(
                    node, options.taskEvents(), options.trackStarted(), options.stateDb())));
  }

  private static String broker() {
    return "memory://control-" + UUID.randomUUID();
  }

  @Test
  void commandsAnswerOnlyForTheirDestinationAndUnknownOnesAreErrors() throws Exception {
    String broker = broker();
    try (Worker a = worker(broker, "a@test", "qa", NodeOptions.defaults());
        Worker b = worker(broker, "b@test", "qb", NodeOptions.defaults());
        ChervilClient client = client(broker)) {
      a.start();
      b.start();
      Map<String, Object> all = client.inspect().ping();
      assertEquals(Map.of("a@test", Map.of("ok", "pong"), "b@test", Map.of("ok", "pong")), all);
      assertEquals(
          List.of("b@test"),
          List.copyOf(client.inspect().destination(List.of("b@test")).ping().keySet()));
      Object unknown =
          client
              .control()
              .destination(List.of("a@test"))
              .call("frobnicate", Map.of())
              .get("a@test");
      assertTrue(
          unknown.toString().contains("unknown control command 'frobnicate'"), unknown.toString());
      Object stamped =
          client
              .control()
              .call("revoke_by_stamped_headers", Map.of("headers", Map.of()))
              .get("a@test");
      assertTrue(stamped.toString().contains("not supported"), stamped.toString());
    }
  }

  @Test
  void addAndCancelConsumerChangeWhatTheWorkerConsumes() throws Exception {
    String broker = broker();
    try (Worker w = worker(broker, "c@test", "q1", NodeOptions.defaults());
        ChervilClient client = client(broker)) {
      w.start();
      assertEquals(
          Map.of("ok", "add consumer q2"),
          client.control().destination(List.of("c@test")).addConsumer("q2").get("c@test"));
      assertEquals(5, client.task("proj.tasks.add").args(2, 3).queue("q2").send().get(WAIT));
      List<?> queues =
          (List<?>) client.inspect().destination(List.of("c@test")).activeQueues().get("c@test");
      assertEquals(2, queues.size(), queues.toString());
      client.control().destination(List.of("c@test")).cancelConsumer("q2");
      List<?> after =
          (List<?>) client.inspect().destination(List.of("c@test")).activeQueues().get("c@test");
      assertEquals("q1", ((Map<?, ?>) after.get(0)).get("name"));
      assertEquals(1, after.size());
    }
  }

  /**
   * Celery's pool_grow and pool_shrink: the reply, the concurrency, the prefetch (multiplier 4 ×
   * size) and stats follow; a shrink while every slot is busy cuts no task.
   */
  @Test
  void poolGrowAndShrinkChangeConcurrencyPrefetchAndStats() throws Exception {
    String broker = broker();
    try (Worker w = worker(broker, "g@test", "qg", NodeOptions.defaults());
        ChervilClient client = client(broker)) {
      w.start();
      var node = client.control().destination(List.of("g@test"));
      hold.close();
      assertEquals(Map.of("ok", "pool will grow"), node.poolGrow(2).get("g@test"));
      assertPool(client, "g@test", 4, 16);
      List<AsyncResult> held = holds(client, "qg", 5);
      await().atMost(WAIT).until(() -> hold.inside() == 4);
      await().during(STEADY).atMost(WAIT).until(() -> hold.inside() == 4);

      assertEquals(Map.of("ok", "pool will shrink"), node.poolShrink(3).get("g@test"));
      assertPool(client, "g@test", 1, 4);
      assertEquals(4, hold.inside(), "the running tasks run on");
      hold.open();
      for (AsyncResult r : held) {
        assertEquals("through", r.get(WAIT));
      }

      hold.close();
      List<AsyncResult> after = holds(client, "qg", 2);
      await().atMost(WAIT).until(() -> hold.inside() == 1);
      await().during(STEADY).atMost(WAIT).until(() -> hold.inside() == 1);
      hold.open();
      for (AsyncResult r : after) {
        assertEquals("through", r.get(WAIT));
      }

      Object refused = node.poolShrink(1).get("g@test");
      assertTrue(refused.toString().contains("at least one slot"), refused.toString());
      assertPool(client, "g@test", 1, 4);
    } finally {
      hold.open();
    }
  }

  @Test
  void theSoloPoolAnswersPoolGrowAndShrinkWithAnError() throws Exception {
    String broker = broker();
    try (Worker w =
            worker(
                broker, "solo@test", "qs1", NodeOptions.defaults(), PoolSpec.of(PoolKind.SOLO, 1));
        ChervilClient client = client(broker)) {
      w.start();
      var node = client.control().destination(List.of("solo@test"));
      Map<?, ?> grow = (Map<?, ?>) node.poolGrow(1).get("solo@test");
      assertTrue(grow.get("error").toString().contains("solo"), grow.toString());
      Map<?, ?> shrink = (Map<?, ?>) node.poolShrink(1).get("solo@test");
      assertTrue(shrink.containsKey("error"), shrink.toString());
      assertPool(client, "solo@test", 1, 4);
    }
  }

  private static List<AsyncResult> holds(ChervilClient client, String queue, int n) {
    List<AsyncResult> sent = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sent.add(client.task("test.hold").queue(queue).send());
    }
    return sent;
  }

  private static void assertPool(ChervilClient client, String node, int size, int prefetch) {
    Map<?, ?> stats = (Map<?, ?>) client.inspect().destination(List.of(node)).stats().get(node);
    assertEquals(size, ((Map<?, ?>) stats.get("pool")).get("max-concurrency"), stats.toString());
    assertEquals(prefetch, stats.get("prefetch_count"), stats.toString());
  }

  @Test
  void timeLimitChangesTheLimitOfTheNextRun() throws Exception {
    String broker = broker();
    try (Worker w = worker(broker, "t@test", "qt", NodeOptions.defaults());
        ChervilClient client = client(broker)) {
      w.start();
      assertEquals(
          Map.of("ok", "time limits set successfully"),
          client
              .control()
              .destination(List.of("t@test"))
              .timeLimit("proj.java.sleep", 0.3, null)
              .get("t@test"));
      long t0 = System.nanoTime();
      var meta = client.task("proj.java.sleep").args(10.0).queue("qt").send().meta(WAIT);
      assertEquals(dev.chervil.backend.TaskState.FAILURE, meta.status(), meta.toString());
      assertTrue(meta.result().toString().contains("SoftTimeLimitExceeded"), meta.toString());
      assertTrue(System.nanoTime() - t0 < 5_000_000_000L);
    }
  }

  @Test
  void revokedIdsOutliveTheWorkerWithAStateDb(@TempDir Path dir) throws Exception {
    String broker = broker();
    NodeOptions withDb = new NodeOptions(null, false, false, dir.resolve("state.json"));
    try (Worker w = worker(broker, "s@test", "qs", withDb);
        ChervilClient client = client(broker)) {
      w.start();
      client.control().destination(List.of("s@test")).revoke("gone-1");
    }
    try (Worker w = worker(broker, "s@test", "qs", withDb);
        ChervilClient client = client(broker)) {
      w.start();
      assertEquals(
          List.of("gone-1"),
          client.inspect().destination(List.of("s@test")).revoked().get("s@test"));
    }
  }

  @Test
  void shutdownClosesTheWorker() throws Exception {
    String broker = broker();
    Worker w = worker(broker, "x@test", "qx", NodeOptions.defaults());
    try (ChervilClient client = client(broker)) {
      w.start();
      assertEquals(
          Map.of("ok", "shutdown started"),
          client.control().destination(List.of("x@test")).shutdown().get("x@test"));
      Thread waiter =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      w.awaitClosed();
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  });
      waiter.join(WAIT);
      assertTrue(!waiter.isAlive(), "worker closed");
    } finally {
      w.close();
    }
  }

  @Test
  void workerAndTaskEventsReachAReceiver() throws Exception {
    String broker = broker();
    List<Map<String, Object>> seen = new CopyOnWriteArrayList<>();
    Transport t = Transports.fromUrl(broker);
    t.start();
    try (EventReceiver receiver = new EventReceiver(t, seen::add)) {
      receiver.start();
      String id;
      try (Worker w = worker(broker, "e@test", "qe", new NodeOptions(null, true, false, null));
          ChervilClient client = client(broker).withSentEvents(true)) {
        w.start();
        var r = client.task("proj.tasks.add").args(1, 2).queue("qe").send();
        id = r.id();
        assertEquals(3, r.get(WAIT));
        await().atMost(WAIT).until(() -> types(seen, id).contains("task-succeeded"));
        await().atMost(WAIT).until(() -> types(seen, null).contains("worker-heartbeat"));
      }
      await().atMost(WAIT).until(() -> types(seen, null).contains("worker-offline"));
      // task-sent leaves the client after the task itself (as in Celery's send_task), so the
      // worker's task-received may overtake it; the worker's own events come in order.
      List<String> events = types(seen, id);
      assertEquals(
          List.of("task-received", "task-started", "task-succeeded"),
          events.stream().filter(e -> !e.equals("task-sent")).toList());
      assertEquals(
          1, events.stream().filter(e -> e.equals("task-sent")).count(), events.toString());
      assertTrue(types(seen, null).contains("worker-online"));
      long clocks =
          seen.stream()
              .filter(e -> "e@test".equals(e.get("hostname")))
              .map(e -> ((Number) e.get("clock")).longValue())
              .distinct()
              .count();
      assertEquals(
          seen.stream().filter(e -> "e@test".equals(e.get("hostname"))).count(),
          clocks,
          "each event has its own clock");
    } finally {
      t.close();
    }
  }

  private static List<String> types(List<Map<String, Object>> seen, String taskId) {
    return seen.stream()
        .filter(e -> taskId == null ? e.get("uuid") == null : taskId.equals(e.get("uuid")))
        .map(e -> (String) e.get("type"))
        .toList();
  }

  private static ChervilClient client(String broker) {
    ChervilClient c = Chervil.client(broker, "rpc://");
    c.start();
    return c;
  }
}
