package dev.chervil.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.Chervil;
import dev.chervil.backend.TaskState;
import dev.chervil.broker.amqp.RabbitMqAdmin;
import dev.chervil.client.AsyncResult;
import dev.chervil.client.ChervilClient;
import dev.chervil.client.TaskCall;
import dev.chervil.client.TaskFailedException;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.task.TaskRegistry;
import dev.chervil.testing.Services;
import dev.chervil.worker.Worker;
import dev.chervil.worker.WorkerConfig;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Chervil sends, Python's Celery 5.2 works: real {@code celery worker} processes (prefork) on the
 * real RabbitMQ, one answering over rpc://, one over redis://, and Chervil clients reading both.
 */
class JavaToPythonTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final String RPC_QUEUE = "interop.python.rpc." + UUID.randomUUID();
  static final String REDIS_QUEUE = "interop.python.redis." + UUID.randomUUID();
  static Process rpcWorker;
  static Process redisWorker;
  static ChervilClient rpc;
  static ChervilClient redis;

  @BeforeAll
  static void startPythonWorkers() throws Exception {
    Services.requireRabbitMq();
    Services.requireRedis();
    Services.requirePythonCelery();
    rpcWorker = new CeleryPeer(Services.RABBITMQ_URL, "rpc://", RPC_QUEUE).startWorker(RPC_QUEUE);
    redisWorker =
        new CeleryPeer(Services.RABBITMQ_URL, Services.REDIS_URL, REDIS_QUEUE)
            .startWorker(REDIS_QUEUE);
    rpc = Chervil.client(Services.RABBITMQ_URL, "rpc://");
    rpc.start();
    redis = Chervil.client(Services.RABBITMQ_URL, Services.REDIS_URL);
    redis.start();
    // The first call waits for each Python worker to come up and consume.
    assertEquals(
        2L, number(rpc.task("proj.tasks.add").args(1, 1).queue(RPC_QUEUE).send().get(WAIT)));
    assertEquals(
        2L, number(redis.task("proj.tasks.add").args(1, 1).queue(REDIS_QUEUE).send().get(WAIT)));
  }

  @AfterAll
  static void stopPythonWorkers() throws Exception {
    try {
      CeleryPeer.kill(rpcWorker);
      CeleryPeer.kill(redisWorker);
      List<String> left =
          ProcessHandle.current()
              .descendants()
              .filter(h -> h.info().command().orElse("").contains("python"))
              .map(h -> h.pid() + " " + h.info().commandLine().orElse("?"))
              .toList();
      assertEquals(List.of(), left, "python processes left behind");
    } finally {
      if (rpc != null) {
        rpc.close();
      }
      if (redis != null) {
        redis.close();
      }
      RabbitMqAdmin.deleteQueuesAndExchanges(RPC_QUEUE, REDIS_QUEUE);
    }
  }

  static long number(Object value) {
    return ((Number) value).longValue();
  }

  TaskCall onRpc(String task, Object... args) {
    return rpc.task(task).args(args).queue(RPC_QUEUE);
  }

  TaskCall onRedis(String task, Object... args) {
    return redis.task(task).args(args).queue(REDIS_QUEUE);
  }

  @Test
  void resultOverRpc() throws Exception {
    assertEquals(5L, number(onRpc("proj.tasks.add", 2, 3).send().get(WAIT)));
  }

  @Test
  void resultOverRedis() throws Exception {
    assertEquals(5L, number(onRedis("proj.tasks.add", 2, 3).send().get(WAIT)));
  }

  /** kombu's compression header: a Python worker decompresses what the Java client sent. */
  @Test
  void compressedCallsAreReadByAPythonWorker() throws Exception {
    for (String method : List.of("gzip", "zlib", "bzip2", "lzma")) {
      assertEquals(
          5L, number(onRedis("proj.tasks.add", 2, 3).compression(method).send().get(WAIT)), method);
    }
  }

  @Test
  void keywordArguments() throws Exception {
    assertEquals(
        42L,
        number(
            rpc.task("proj.tasks.add")
                .kwargs(Map.of("x", 20, "y", 22))
                .queue(RPC_QUEUE)
                .send()
                .get(WAIT)));
  }

  @Test
  void aPythonExceptionSurfacesWithItsTypeAndMessage() {
    TaskFailedException e =
        assertThrows(
            TaskFailedException.class,
            () -> onRedis("proj.tasks.fail", "boom from python").send().get(WAIT));
    assertEquals("ValueError", e.excType());
    assertTrue(e.getMessage().contains("boom from python"), e.getMessage());
  }

  @Test
  void aPythonExceptionSurfacesOverRpcToo() {
    TaskFailedException e =
        assertThrows(
            TaskFailedException.class,
            () -> onRpc("proj.tasks.fail", "boom over rpc").send().get(WAIT));
    assertEquals("ValueError", e.excType());
    assertEquals("boom over rpc", e.excMessage());
    assertEquals(TaskState.FAILURE, e.state());
    assertTrue(e.remoteTraceback().contains("raise ValueError"), e.remoteTraceback());
  }

  /** Unicode past the BMP, escapes, a long past 2**53, 1.5e300, nulls, empty and nested. */
  @Test
  void everyJsonValueRoundTripsThroughAPythonTaskUnchanged() throws Exception {
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("text", "h\u00e9llo \u2603 \uD83D\uDE00 \"q\" \\ \n");
    value.put("big", (1L << 62) + 1);
    value.put("float", 0.1);
    value.put("exp", 1.5e300);
    value.put("none", null);
    value.put("yes", true);
    value.put("empty", List.of());
    value.put("nested", List.of(List.of(1, Map.of("k", Arrays.asList((Object) null))), Map.of()));
    Object got = onRedis("proj.tasks.echo", value).send().get(WAIT);
    assertEquals(value.toString(), String.valueOf(got));
    assertEquals((1L << 62) + 1, ((Map<?, ?>) got).get("big"));
  }

  @Test
  void countdownIsHonouredByPython() throws Exception {
    long start = System.nanoTime();
    assertEquals(
        4L,
        number(onRpc("proj.tasks.add", 2, 2).countdown(Duration.ofMillis(1500)).send().get(WAIT)));
    assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() >= 1400);
  }

  @Test
  void etaIsHonouredByPython() throws Exception {
    long start = System.nanoTime();
    OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC).plus(Duration.ofMillis(1500));
    assertEquals(6L, number(onRedis("proj.tasks.add", 3, 3).eta(at).send().get(WAIT)));
    assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() >= 1400);
  }

  /** Python holds the task until its ETA, finds it expired by then, and reports it revoked. */
  @Test
  void aTaskExpiredBeforeItsEtaIsRevokedByPython() {
    TaskFailedException e =
        assertThrows(
            TaskFailedException.class,
            () ->
                onRpc("proj.tasks.add", 1, 2)
                    .countdown(Duration.ofSeconds(2))
                    .expires(Duration.ofMillis(500))
                    .send()
                    .get(WAIT));
    assertEquals(TaskState.REVOKED, e.state(), e.getMessage());
  }

  /** Celery's retry re-sends the task; the RETRY states in between are not the result. */
  @Test
  void pythonRetriesAreWaitedThroughOverRpc() throws Exception {
    assertEquals("ok after 2 retries", onRpc("proj.tasks.flaky", 2).send().get(WAIT));
  }

  @Test
  void pythonRetriesAreWaitedThroughOverRedis() throws Exception {
    assertEquals("ok after 2 retries", onRedis("proj.tasks.flaky", 2).send().get(WAIT));
  }

  @Test
  void hardTimeLimitSetInJavaIsHonouredByPython() {
    TaskFailedException e =
        assertThrows(
            TaskFailedException.class,
            () -> onRedis("proj.tasks.sleep", 10).timeLimits(null, 1.0).send().get(WAIT));
    assertEquals("TimeLimitExceeded", e.excType(), e.getMessage());
  }

  @Test
  void softTimeLimitSetInJavaIsHonouredByPython() {
    TaskFailedException e =
        assertThrows(
            TaskFailedException.class,
            () -> onRpc("proj.tasks.sleep", 10).timeLimits(0.5, null).send().get(WAIT));
    assertEquals("SoftTimeLimitExceeded", e.excType());
  }

  @Test
  void linkCallbackGetsTheResult() throws Exception {
    TaskCall callback = onRedis("proj.tasks.mul", 10);
    AsyncResult first = onRedis("proj.tasks.add", 2, 3).link(callback).send();
    assertEquals(5L, number(first.get(WAIT)));
    assertEquals(50L, number(redis.result(callback.id()).get(WAIT)));
  }

  @Test
  void linkErrorGetsTheFailedTaskId() throws Exception {
    TaskCall errback = onRedis("proj.tasks.errback");
    AsyncResult failing = onRedis("proj.tasks.fail", "boom").linkError(errback).send();
    assertThrows(TaskFailedException.class, () -> failing.get(WAIT));
    assertEquals("errback saw " + failing.id(), redis.result(errback.id()).get(WAIT));
  }

  @Test
  void chainOverRedis() throws Exception {
    assertEquals(
        50L,
        number(
            redis.chain(onRedis("proj.tasks.add", 2, 3), onRedis("proj.tasks.mul", 10)).get(WAIT)));
  }

  @Test
  void chainOverRpcRepliesToTheSender() throws Exception {
    assertEquals(
        60L,
        number(rpc.chain(onRpc("proj.tasks.add", 3, 3), onRpc("proj.tasks.mul", 10)).get(WAIT)));
  }

  @Test
  void groupReturnsEveryMembersResult() throws Exception {
    TaskCall[] members = new TaskCall[5];
    for (int i = 0; i < members.length; i++) {
      members[i] = onRpc("proj.tasks.add", i, i);
    }
    List<Long> results = new ArrayList<>();
    for (AsyncResult r : rpc.group(members)) {
      results.add(number(r.get(WAIT)));
    }
    assertEquals(List.of(0L, 2L, 4L, 6L, 8L), results);
  }

  /** What a Python task reads from Chervil's headers: one group id, indices 0..n-1, its own id. */
  @Test
  void groupMembersReachPythonWithTheirGroupIdAndIndex() throws Exception {
    TaskCall[] members = {
      onRedis("proj.tasks.whoami"), onRedis("proj.tasks.whoami"), onRedis("proj.tasks.whoami")
    };
    List<AsyncResult> results = redis.group(members);
    String groupId = null;
    for (int i = 0; i < results.size(); i++) {
      Map<?, ?> seen = (Map<?, ?>) results.get(i).get(WAIT);
      assertEquals(results.get(i).id(), seen.get("id"), seen.toString());
      assertEquals(i, ((Number) seen.get("group_index")).intValue(), seen.toString());
      assertEquals(results.get(i).id(), seen.get("root_id"), seen.toString());
      assertEquals("py", seen.get("lang"), seen.toString());
      if (groupId == null) {
        groupId = (String) seen.get("group");
        UUID.fromString(groupId);
      }
      assertEquals(groupId, seen.get("group"), seen.toString());
    }
  }

  @Test
  void chordJoinsInPythonThroughRedis() throws Exception {
    List<TaskCall> header =
        List.of(
            onRedis("proj.tasks.add", 0, 0),
            onRedis("proj.tasks.add", 1, 1),
            onRedis("proj.tasks.add", 2, 2));
    assertEquals(6L, number(redis.chord(header, onRedis("proj.tasks.tsum")).get(WAIT)));
  }

  /** The join lives in Redis, in Celery's format: a Python and a Java worker fill one chord. */
  @Test
  void aChordFilledByPythonAndJavaWorkersTogether() throws Exception {
    String javaQueue = "interop.java.chord." + UUID.randomUUID();
    try (Worker java =
        Chervil.worker(
            Services.RABBITMQ_URL,
            Services.REDIS_URL,
            PoolSpec.of(PoolKind.THREADS, 2),
            new TaskRegistry().register(new InteropTasks()),
            WorkerConfig.defaults().withQueues(List.of(javaQueue)))) {
      java.start();
      List<TaskCall> header =
          List.of(
              onRedis("proj.tasks.add", 1, 1),
              onRedis("proj.tasks.add", 2, 2),
              redis.task("proj.tasks.add").args(3, 3).queue(javaQueue),
              redis.task("proj.tasks.add").args(4, 4).queue(javaQueue));
      TaskCall body = redis.task("proj.tasks.tsum").queue(javaQueue);
      assertEquals(20L, number(redis.chord(header, body).get(WAIT)));
    } finally {
      RabbitMqAdmin.deleteQueuesAndExchanges(javaQueue);
    }
  }

  @Test
  void chordOverRpcIsRefusedWithAClearError() {
    UnsupportedOperationException e =
        assertThrows(
            UnsupportedOperationException.class,
            () -> rpc.chord(List.of(onRpc("proj.tasks.add", 1, 1)), onRpc("proj.tasks.tsum")));
    assertTrue(e.getMessage().contains("redis://"), e.getMessage());
  }
}
