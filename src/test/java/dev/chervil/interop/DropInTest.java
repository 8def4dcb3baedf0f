package dev.chervil.interop;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chervil.Chervil;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Subscription;
import dev.chervil.broker.Transport;
import dev.chervil.broker.amqp.RabbitMqAdmin;
import dev.chervil.census.Census;
import dev.chervil.census.CensusBaseline;
import dev.chervil.debug.DebugTasks;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.TaskRegistry;
import dev.chervil.testing.CensusAssertions;
import dev.chervil.testing.Services;
import dev.chervil.worker.Worker;
import dev.chervil.worker.WorkerConfig;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, as a Python team meets it: an existing Celery 5.2 app pointed at Chervil workers over
 * the real RabbitMQ and Redis. One worker on the process pool (child JVMs; results extended and
 * kept 120 s), one on 4 threads with Celery's result defaults; scenarios where the pool matters run
 * on both.
 */
class DropInTest {
  static final Duration WAIT = Duration.ofSeconds(90);
  static final String PROC_QUEUE = "interop.dropin.proc." + UUID.randomUUID();
  static final String THREAD_QUEUE = "interop.dropin.threads." + UUID.randomUUID();
  static Worker processes;
  static Worker threads;
  static CensusBaseline baseline;

  @BeforeAll
  static void startWorkers() throws Exception {
    Services.requireRabbitMq();
    Services.requireRedis();
    Services.requirePythonCelery();
    PoolSpec spec =
        new PoolSpec(
            PoolKind.PROCESSES,
            2,
            List.of(InteropTasks.class.getName(), DebugTasks.class.getName()),
            false,
            false,
            null,
            null);
    processes =
        Chervil.worker(
            Services.RABBITMQ_URL,
            Services.REDIS_URL,
            spec,
            WorkerConfig.defaults()
                .withQueues(List.of(PROC_QUEUE))
                .withResults(true, Duration.ofSeconds(120)));
    processes.start();
    threads =
        Chervil.worker(
            Services.RABBITMQ_URL,
            Services.REDIS_URL,
            PoolSpec.of(PoolKind.THREADS, 4),
            new TaskRegistry().register(new InteropTasks()).register(new DebugTasks()),
            WorkerConfig.defaults().withQueues(List.of(THREAD_QUEUE)));
    threads.start();
    assertEquals(5, run(processes, "add").path("result").asInt());
    assertEquals(5, run(threads, "add").path("result").asInt());
    int expected = expectedChildren();
    await()
        .pollInSameThread()
        .atMost(WAIT)
        .until(
            () ->
                processes.pool().ownedChildPids().size() == expected
                    && Census.take(processes.pool()).children() == expected);
    baseline = new CensusBaseline(Census.take(processes.pool()));
  }

  @AfterAll
  static void censusBackAndStop() {
    try {
      if (baseline != null) {
        CensusAssertions.assertBackToBaseline(baseline, processes.pool(), expectedChildren(), WAIT);
      }
    } finally {
      if (processes != null) {
        processes.close();
      }
      if (threads != null) {
        threads.close();
      }
      RabbitMqAdmin.deleteQueuesAndExchanges(
          PROC_QUEUE, THREAD_QUEUE, PROC_QUEUE + ".collect", THREAD_QUEUE + ".collect");
    }
  }

  static int expectedChildren() {
    return ((dev.chervil.pool.process.ProcessPool) processes.pool()).expectedChildren();
  }

  static JsonNode run(Worker worker, String scenario) throws Exception {
    String queue = worker == processes ? PROC_QUEUE : THREAD_QUEUE;
    return new CeleryPeer(Services.RABBITMQ_URL, Services.REDIS_URL, queue).run(scenario, WAIT);
  }

  static List<Worker> bothPools() {
    return List.of(processes, threads);
  }

  /** 13.1: echo(None) and echo(1, None) were NullPointerExceptions. */
  @Test
  void noneAsATopLevelArgumentComesBackOnBothPools() throws Exception {
    for (Worker w : bothPools()) {
      JsonNode seen = run(w, "none_args");
      assertEquals(
          "[[null],[1,null],[null]]", seen.path("result").toString(), w.pool().kind() + seen);
    }
  }

  /** 13.2: kombu's gzip (a zlib stream), zlib, bzip2 and lzma bodies. */
  @Test
  void compressedMessagesFromPythonAreRead() throws Exception {
    JsonNode seen = run(processes, "compressed");
    assertEquals(
        "{\"gzip\":5,\"zlib\":5,\"bzip2\":5,\"lzma\":5}",
        seen.path("result").toString(),
        "" + seen);
  }

  /** 13.7: NaN and ±Infinity cross to the task (and the child JVM) and back. */
  @Test
  void nanAndInfinityRoundTripOnBothPools() throws Exception {
    for (Worker w : bothPools()) {
      JsonNode seen = run(w, "non_finite");
      assertEquals("[true,true,true]", seen.path("result").toString(), w.pool().kind() + seen);
    }
  }

  /** 13.4: Celery's built-in tasks, and a chain whose last step is a group. */
  @Test
  void celerysBuiltInTasksRunWithCelerysSemantics() throws Exception {
    JsonNode r = run(processes, "builtins").path("result");
    assertEquals("[3,7]", r.path("starmap").toString(), r.toString());
    assertEquals("[1,\"two\"]", r.path("map").toString(), r.toString());
    assertEquals("[[2,4],[6]]", r.path("chunks").toString(), r.toString());
    assertEquals("[[2,4],[6]]", r.path("chunks_task").toString(), r.toString());
    assertEquals(2, r.path("accumulate").asInt(), r.toString());
    assertTrue(r.path("backend_cleanup").isNull(), r.toString());
    assertEquals("[20,200]", r.path("chain_to_group").toString(), r.toString());
    assertEquals(220, r.path("chain_to_chord").asInt(), r.toString());
    assertEquals("[10,15]", r.path("group_task").toString(), r.toString());
    assertEquals(
        "NotImplementedError", r.path("chain_task").path("error_type").asText(), r.toString());
  }

  /** 13.5: immutable, new-style and unknown (old-style, id prepended) errbacks. */
  @Test
  void errbacksGetTheArgumentsCeleryGivesThem() throws Exception {
    String collect = THREAD_QUEUE + ".collect";
    List<TaskMessage> collected = new CopyOnWriteArrayList<>();
    try (Transport transport = Chervil.transport(Services.RABBITMQ_URL)) {
      transport.start();
      transport.declareQueue(QueueSpec.durable(collect));
      Subscription sub =
          transport.consume(
              collect,
              10,
              d -> {
                try {
                  collected.add(CeleryJsonCodec.decode(d.message()));
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                } finally {
                  d.ack();
                }
              });
      JsonNode r = run(threads, "errbacks").path("result");
      assertEquals("errback saw x", r.path("immutable").asText(), r.toString());
      assertEquals(
          "IllegalStateException in proj.java.fail[" + r.path("new_style_failed_id").asText() + "]",
          r.path("new_style").asText(),
          r.toString());
      await().atMost(WAIT).until(() -> !collected.isEmpty());
      TaskMessage errback = collected.getFirst();
      assertEquals("proj.py.collect", errback.task());
      assertEquals(List.of(r.path("unknown_failed_id").asText(), "extra"), errback.args());
      sub.close();
    }
  }

  /**
   * 13.5: a chord header of a group, a chain and a task gives the body what a Celery worker gives
   * it. Celery 5.2.6 flattens the inner group (its client does not save the header, so the parts
   * come from the sorted set); the Java worker must match that value exactly, order included.
   */
  @Test
  void aComplexChordHeaderGivesTheBodyWhatACeleryWorkerGivesIt() throws Exception {
    String pythonQueue = "interop.dropin.python." + UUID.randomUUID();
    CeleryPeer peer = new CeleryPeer(Services.RABBITMQ_URL, Services.REDIS_URL, pythonQueue);
    Process python = peer.startWorker(pythonQueue);
    try {
      JsonNode celery = peer.run("complex_chord", WAIT);
      JsonNode ours = run(threads, "complex_chord");
      assertEquals(4, ours.path("result").size(), ours.toString());
      assertEquals(celery.path("result"), ours.path("result"), celery + " vs " + ours);
    } finally {
      CeleryPeer.kill(python);
      RabbitMqAdmin.deleteQueuesAndExchanges(pythonQueue);
    }
  }

  /** 13.6: result_extended and result_expires, read by Python. */
  @Test
  void extendedResultsAndTheirExpiryAreWhatPythonReads() throws Exception {
    JsonNode ext = run(processes, "extended").path("result");
    assertEquals(5, ext.path("value").asInt(), ext.toString());
    assertEquals("proj.tasks.add", ext.path("name").asText(), ext.toString());
    assertEquals("[2,3]", ext.path("args").toString(), ext.toString());
    assertEquals("{}", ext.path("kwargs").toString(), ext.toString());
    assertTrue(ext.path("worker").asText().startsWith("chervil@"), ext.toString());
    assertEquals(0, ext.path("retries").asInt(), ext.toString());
    assertEquals(PROC_QUEUE, ext.path("queue").asText(), ext.toString());
    assertTrue(ext.path("ttl").asLong() > 0 && ext.path("ttl").asLong() <= 120, ext.toString());
    JsonNode plain = run(threads, "extended").path("result");
    assertTrue(plain.path("name").isNull(), plain.toString());
    assertTrue(plain.path("ttl").asLong() > 86_000, "Celery's default, a day: " + plain);
  }

  /** 13.8: Python raises TypeError for a keyword the function does not take. */
  @Test
  void anUnexpectedKeywordIsATypeErrorOnBothPools() throws Exception {
    for (Worker w : bothPools()) {
      JsonNode seen = run(w, "unexpected_kwarg");
      assertEquals("TypeError", seen.path("error_type").asText(), w.pool().kind() + seen);
      assertTrue(seen.path("error_message").asText().contains("'k'"), seen.toString());
    }
  }

  /** 13.9: refused bodies fail the caller at once instead of leaving it waiting. */
  @Test
  void aRefusedMessageFailsItsCallerAtOnce() throws Exception {
    JsonNode r = run(threads, "refused").path("result");
    assertEquals("ContentDisallowed", r.path("pickle").path("error_type").asText(), r.toString());
    assertTrue(r.path("pickle").path("error_message").asText().contains("pickle"), r.toString());
    assertTrue(r.path("pickle").path("elapsed").asDouble() < 10, r.toString());
    JsonNode v1 = run(threads, "protocol1").path("result");
    assertEquals("NotImplementedError", v1.path("error_type").asText(), v1.toString());
    assertTrue(v1.path("elapsed").asDouble() < 10, v1.toString());
  }

  /**
   * Issue 11.2: a 1e-12 s limit, an ETA in 2400 and negative retries neither kill a thread nor
   * stall the queue: the next 20 tasks all run, on both pools.
   */
  @Test
  void valuesOutOfBoundsNeverStallTheWorkerOnBothPools() throws Exception {
    for (Worker w : bothPools()) {
      JsonNode r = run(w, "bounds").path("result");
      String where = w.pool().kind() + " " + r;
      assertEquals("TimeLimitExceeded", r.path("tiny_limit").path("error_type").asText(), where);
      assertEquals(
          "SoftTimeLimitExceeded", r.path("tiny_soft_limit").path("error_type").asText(), where);
      assertEquals("ValueError", r.path("negative_retries").path("error_type").asText(), where);
      assertEquals(20, r.path("after").size(), where);
      for (int i = 0; i < 20; i++) {
        assertEquals(2 * i, r.path("after").get(i).asInt(), where);
      }
      assertEquals("PENDING", r.path("far_state").asText(), "held, as Celery holds it: " + where);
    }
  }

  /** Issue 11.2: Jackson's default limit refused a valid 21M-character argument. */
  @Test
  void aTwentyOneMillionCharacterArgumentIsAccepted() throws Exception {
    JsonNode seen = run(threads, "big_string");
    assertTrue(seen.path("result").asBoolean(), seen.toString());
  }
}
