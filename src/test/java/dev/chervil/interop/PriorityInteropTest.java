package dev.chervil.interop;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chervil.Chervil;
import dev.chervil.broker.amqp.QueueArguments;
import dev.chervil.broker.amqp.RabbitMqAdmin;
import dev.chervil.census.Census;
import dev.chervil.census.CensusBaseline;
import dev.chervil.client.ChervilClient;
import dev.chervil.control.NodeName;
import dev.chervil.control.NodeOptions;
import dev.chervil.debug.DebugTasks;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.pool.process.ProcessPool;
import dev.chervil.task.TaskRegistry;
import dev.chervil.testing.CensusAssertions;
import dev.chervil.testing.LoggedProblems;
import dev.chervil.testing.Services;
import dev.chervil.worker.Worker;
import dev.chervil.worker.WorkerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The drop-in issue, item 3: a Python Celery 5.2 app that uses Celery's RabbitMQ priority recipe
 * ({@code task_queues = [Queue(name, ..., queue_arguments={'x-max-priority': 10})]}) and a Chervil
 * worker or client on the same queue, over the real RabbitMQ (broker) and Redis (results).
 */
class PriorityInteropTest {
  static final Duration WAIT = Duration.ofSeconds(90);
  static final Map<String, Object> MAX_PRIORITY_10 = QueueArguments.priority(10);

  @BeforeEach
  void requireServices() {
    Services.requireRabbitMq();
    Services.requireRedis();
    Services.requirePythonCelery();
  }

  /**
   * Python declares the queue and, while a 2 s task holds the worker's only slot (prefetch 1),
   * sends twelve tasks of mixed priority. The prefetch window, freed when the blocker was acked as
   * it started, takes exactly the first one sent; every other one waits in the broker, which hands
   * them out highest priority first, in send order among equals. Sent order is not priority order,
   * so a worker that ignored priorities (or reordered, or prefetched more) fails this.
   */
  @Test
  void aPythonBacklogRunsHighestPriorityFirstOnBothPools() throws Exception {
    for (PoolKind kind : List.of(PoolKind.THREADS, PoolKind.PROCESSES)) {
      String queue = "interop.priority." + kind.name().toLowerCase() + "." + UUID.randomUUID();
      CeleryPeer python = priorityPeer(queue);
      Worker worker = null;
      try {
        python.run("declare_queue", WAIT);
        try (LoggedProblems problems = LoggedProblems.watch()) {
          worker = startWorker(kind, queue, MAX_PRIORITY_10);
          assertTrue(
              problems.lines().stream().noneMatch(l -> l.contains("queue-declare-mismatch")),
              () -> "--max-priority 10 on Python's x-max-priority 10 queue: " + problems.lines());
        }
        // The first backlog also warms up what the census counts (the child JVM, the backend's
        // pooled connections, which STARTED and SUCCESS writes open side by side).
        assertBacklogRanHighestPriorityFirst(kind, python.run("priority_backlog", WAIT));
        CensusBaseline baseline = processBaseline(worker);

        assertBacklogRanHighestPriorityFirst(kind, python.run("priority_backlog", WAIT));

        if (baseline != null) {
          ProcessPool pool = (ProcessPool) worker.pool();
          CensusAssertions.assertBackToBaseline(baseline, pool, pool.expectedChildren(), WAIT);
        }
      } finally {
        if (worker != null) {
          worker.close();
        }
        RabbitMqAdmin.deleteQueuesAndExchanges(queue);
      }
    }
  }

  /**
   * {@code TaskCall.priority(n)} is the AMQP priority property: a Python worker on its priority
   * queue reads it as {@code request.delivery_info['priority']}. The client declares the queue with
   * the same {@code x-max-priority}, so it meets Python's declaration without a mismatch.
   */
  @Test
  void theJavaClientsPriorityReachesAPythonWorker() throws Exception {
    String queue = "interop.priority.python." + UUID.randomUUID();
    CeleryPeer python = priorityPeer(queue);
    Process pythonWorker = python.startWorker(queue);
    try (ChervilClient client = Chervil.client(Services.RABBITMQ_URL, Services.REDIS_URL)) {
      client.withQueueArguments(MAX_PRIORITY_10).start();
      python.run("declare_queue", WAIT); // as the Python app would have, before the client sends
      try (LoggedProblems problems = LoggedProblems.watch()) {
        Object seven = client.task("proj.tasks.delivery").queue(queue).priority(7).send().get(WAIT);
        Object zero = client.task("proj.tasks.delivery").queue(queue).priority(0).send().get(WAIT);

        assertEquals(7, ((Number) ((Map<?, ?>) seven).get("priority")).intValue(), "" + seven);
        assertEquals(queue, ((Map<?, ?>) seven).get("routing_key"), "" + seven);
        assertEquals(0, ((Number) ((Map<?, ?>) zero).get("priority")).intValue(), "" + zero);
        assertTrue(
            problems.lines().stream().noneMatch(l -> l.contains("queue-declare-mismatch")),
            () -> "the client declared x-max-priority 10 as Python did: " + problems.lines());
      }
    } finally {
      CeleryPeer.kill(pythonWorker);
      RabbitMqAdmin.deleteQueuesAndExchanges(queue);
    }
  }

  /**
   * A Python chain whose next step has {@code priority=7} and goes to a Python worker's priority
   * queue: the Java worker that ran the first step sends the next one with that priority, and
   * declares the Python queue with its own {@code --max-priority}, as Celery's {@code
   * task_queue_max_priority} applies to every queue it declares, so no mismatch.
   */
  @Test
  void aChainStepsPriorityIsSentOnByTheJavaWorker() throws Exception {
    String javaQueue = "interop.priority.chain.java." + UUID.randomUUID();
    String pythonQueue = "interop.priority.chain.python." + UUID.randomUUID();
    Process pythonWorker = priorityPeer(pythonQueue).startWorker(pythonQueue);
    Worker worker = null;
    try (LoggedProblems problems = LoggedProblems.watch()) {
      priorityPeer(pythonQueue).run("declare_queue", WAIT);
      worker = startWorker(PoolKind.THREADS, javaQueue, MAX_PRIORITY_10);

      JsonNode seen =
          priorityPeer(javaQueue)
              .with("PEER_PYTHON_QUEUE", pythonQueue)
              .run("chain_priority", WAIT)
              .path("result");

      assertEquals(7, seen.path("priority").asInt(-1), seen.toString());
      assertEquals(pythonQueue, seen.path("routing_key").asText(), seen.toString());
      assertTrue(
          problems.lines().stream().noneMatch(l -> l.contains("queue-declare-mismatch")),
          () -> "the worker declared Python's queue as Python did: " + problems.lines());
    } finally {
      if (worker != null) {
        worker.close();
      }
      CeleryPeer.kill(pythonWorker);
      RabbitMqAdmin.deleteQueuesAndExchanges(javaQueue, pythonQueue);
    }
  }

  /**
   * The failure: {@code chervil worker} exited with PRECONDITION_FAILED on a queue Python
   * declared with {@code x-max-priority}. A worker configured with another maximum starts, says
   * which argument differs and how to fix it, and consumes Python's queue as it is.
   */
  @Test
  void aWorkerWithAnotherMaxPriorityWarnsAndStillConsumesPythonsQueue() throws Exception {
    String queue = "interop.priority.mismatch." + UUID.randomUUID();
    CeleryPeer python = priorityPeer(queue);
    Worker worker = null;
    try {
      python.run("declare_queue", WAIT);
      try (LoggedProblems problems = LoggedProblems.watch()) {
        worker = startWorker(PoolKind.THREADS, queue, QueueArguments.priority(5));
        String line =
            problems.lines().stream()
                .filter(l -> l.contains("event=queue-declare-mismatch"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no mismatch line: " + problems.lines()));
        assertTrue(line.contains("queue=" + queue), line);
        assertTrue(line.contains("argument=x-max-priority"), line);
        assertTrue(line.contains("action=use-existing-queue"), line);
        assertTrue(line.contains("--max-priority"), line);
        assertTrue(line.contains("task_queue_max_priority"), line);
      }
      assertEquals(5, python.run("add", WAIT).path("result").asInt());
      // Python's queue, priorities and all: its backlog still runs highest first.
      assertBacklogRanHighestPriorityFirst(PoolKind.THREADS, python.run("priority_backlog", WAIT));
    } finally {
      if (worker != null) {
        worker.close();
      }
      RabbitMqAdmin.deleteQueuesAndExchanges(queue);
    }
  }

  static void assertBacklogRanHighestPriorityFirst(PoolKind kind, JsonNode line) {
    JsonNode seen = line.path("result");
    String where = kind + " " + line;
    assertEquals("STARTED", seen.path("blocker_state").asText(), where);
    assertEquals(
        expectedRunOrder(ints(seen.path("priorities"))),
        ints(seen.path("run")),
        "indices as run: " + where);
  }

  /**
   * The first one sent (already in the prefetch window when the others arrive), then the rest by
   * priority, highest first, in send order among equals.
   */
  static List<Integer> expectedRunOrder(List<Integer> priorities) {
    List<Integer> order = new ArrayList<>(List.of(0));
    IntStream.range(1, priorities.size())
        .boxed()
        .sorted(Comparator.comparing(priorities::get, Comparator.reverseOrder()))
        .forEach(order::add);
    return order;
  }

  static CeleryPeer priorityPeer(String queue) {
    return new CeleryPeer(Services.RABBITMQ_URL, Services.REDIS_URL, queue)
        .with("PEER_MAX_PRIORITY", "10");
  }

  /** One slot, prefetch 1, STARTED stored (the Python side waits for it), as the recipe runs. */
  static Worker startWorker(PoolKind kind, String queue, Map<String, Object> queueArguments) {
    WorkerConfig config =
        WorkerConfig.defaults()
            .withQueues(List.of(queue))
            .withPrefetchMultiplier(1)
            .withQueueArguments(queueArguments)
            .withNode(new NodeOptions(NodeName.DEFAULT, false, true, null));
    Worker worker =
        kind == PoolKind.PROCESSES
            ? Chervil.worker(
                Services.RABBITMQ_URL,
                Services.REDIS_URL,
                new PoolSpec(
                    PoolKind.PROCESSES,
                    1,
                    List.of(InteropTasks.class.getName(), DebugTasks.class.getName()),
                    false,
                    false,
                    null,
                    null),
                config)
            : Chervil.worker(
                Services.RABBITMQ_URL,
                Services.REDIS_URL,
                PoolSpec.of(PoolKind.THREADS, 1),
                new TaskRegistry().register(new InteropTasks()).register(new DebugTasks()),
                config);
    worker.start();
    return worker;
  }

  /** The process pool's census once its children are up; null for the thread pool. */
  static CensusBaseline processBaseline(Worker worker) {
    if (!(worker.pool() instanceof ProcessPool pool)) {
      return null;
    }
    await()
        .pollInSameThread()
        .atMost(WAIT)
        .until(
            () ->
                pool.ownedChildPids().size() == pool.expectedChildren()
                    && Census.take(pool).children() == pool.expectedChildren());
    return new CensusBaseline(Census.take(pool));
  }

  static List<Integer> ints(JsonNode array) {
    List<Integer> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asInt()));
    return out;
  }
}
