package dev.chervil.interop;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chervil.Chervil;
import dev.chervil.broker.amqp.RabbitMqAdmin;
import dev.chervil.census.Census;
import dev.chervil.census.CensusBaseline;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.task.TaskRegistry;
import dev.chervil.testing.CensusAssertions;
import dev.chervil.testing.Services;
import dev.chervil.worker.Worker;
import dev.chervil.worker.WorkerConfig;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Python's Celery 5.2 sends, Chervil works: a real Python client process per scenario against
 * Chervil workers on the real RabbitMQ. One worker answers over rpc:// on the process pool (limits
 * and losses are real there), one over redis:// on 4 threads (canvas, whose follow-up results a
 * Python client can only read from a shared backend).
 */
class PythonToJavaTest {
  static final Duration WAIT = Duration.ofSeconds(90);
  static final String RPC_QUEUE = "interop.java.rpc." + UUID.randomUUID();
  static final String REDIS_QUEUE = "interop.java.redis." + UUID.randomUUID();
  static Worker rpcWorker;
  static Worker redisWorker;
  static CensusBaseline baseline;

  @BeforeAll
  static void startWorkers() throws Exception {
    Services.requireRabbitMq();
    Services.requireRedis();
    Services.requirePythonCelery();
    PoolSpec processes =
        new PoolSpec(
            PoolKind.PROCESSES, 2, List.of(InteropTasks.class.getName()), false, false, null, null);
    rpcWorker =
        Chervil.worker(
            Services.RABBITMQ_URL,
            "rpc://",
            processes,
            WorkerConfig.defaults().withQueues(List.of(RPC_QUEUE)));
    rpcWorker.start();
    redisWorker =
        Chervil.worker(
            Services.RABBITMQ_URL,
            Services.REDIS_URL,
            PoolSpec.of(PoolKind.THREADS, 4),
            new TaskRegistry().register(new InteropTasks()),
            WorkerConfig.defaults().withQueues(List.of(REDIS_QUEUE)));
    redisWorker.start();
    // Warm both workers the way the tests will use them (connections, threads pool at full size),
    // so the baseline below is the steady state.
    assertEquals(5, overRpc("add").path("result").asInt());
    assertEquals("[0,2,4,6,8]", overRedis("group").path("result").toString());
    int expected = expectedChildren();
    await()
        .pollInSameThread()
        .atMost(WAIT)
        .until(
            () ->
                rpcWorker.pool().ownedChildPids().size() == expected
                    && Census.take(rpcWorker.pool()).children() == expected);
    baseline = new CensusBaseline(Census.take(rpcWorker.pool()));
  }

  @AfterAll
  static void censusBackAndStop() {
    try {
      if (baseline != null) {
        CensusAssertions.assertBackToBaseline(baseline, rpcWorker.pool(), expectedChildren(), WAIT);
      }
    } finally {
      if (rpcWorker != null) {
        rpcWorker.close();
      }
      if (redisWorker != null) {
        redisWorker.close();
      }
      RabbitMqAdmin.deleteQueuesAndExchanges(RPC_QUEUE, REDIS_QUEUE);
    }
  }

  static int expectedChildren() {
    return ((dev.chervil.pool.process.ProcessPool) rpcWorker.pool()).expectedChildren();
  }

  static JsonNode overRpc(String scenario) throws Exception {
    return new CeleryPeer(Services.RABBITMQ_URL, "rpc://", RPC_QUEUE).run(scenario, WAIT);
  }

  static JsonNode overRedis(String scenario) throws Exception {
    return new CeleryPeer(Services.RABBITMQ_URL, Services.REDIS_URL, REDIS_QUEUE)
        .run(scenario, WAIT);
  }

  @Test
  void delayGetsTheResultOverRpc() throws Exception {
    assertEquals(5, overRpc("add").path("result").asInt(), "python saw");
  }

  @Test
  void delayGetsTheResultOverRedis() throws Exception {
    assertEquals(5, overRedis("add").path("result").asInt(), "python saw");
  }

  /** Unicode past the BMP, escapes, 2**62+1, 1.5e300, None, empty and nested containers. */
  @Test
  void everyJsonValueRoundTripsThroughAJavaTaskUnchanged() throws Exception {
    JsonNode seen = overRpc("echo");
    assertTrue(seen.path("result").path("same").asBoolean(), seen.toString());
    assertEquals(
        (1L << 62) + 1, seen.path("result").path("got").path("big").asLong(), seen.toString());
  }

  @Test
  void aJavaNullIsPythonNone() throws Exception {
    JsonNode seen = overRedis("none");
    assertTrue(seen.has("result") && seen.path("result").isNull(), seen.toString());
  }

  @Test
  void keywordArgumentsAreBound() throws Exception {
    assertEquals(42, overRpc("kwargs").path("result").asInt());
  }

  @Test
  void aJavaExceptionSurfacesInPythonWithItsTypeAndMessage() throws Exception {
    JsonNode seen = overRpc("error");
    assertEquals("IllegalStateException", seen.path("error_type").asText(), seen.toString());
    assertTrue(seen.path("error_message").asText().contains("boom from java"), seen.toString());
  }

  @Test
  void aJavaExceptionSurfacesInPythonOverRedisToo() throws Exception {
    JsonNode seen = overRedis("error");
    assertEquals("IllegalStateException", seen.path("error_type").asText(), seen.toString());
    assertTrue(seen.path("error_message").asText().contains("boom from java"), seen.toString());
  }

  @Test
  void anUnknownTaskFailsAsNotRegistered() throws Exception {
    JsonNode seen = overRpc("unknown");
    assertEquals("NotRegistered", seen.path("error_type").asText(), seen.toString());
    assertTrue(seen.path("error_message").asText().contains("proj.java.nope"), seen.toString());
  }

  @Test
  void wrongArgumentsFailAsTypeError() throws Exception {
    JsonNode seen = overRpc("wrong_args");
    assertEquals("TypeError", seen.path("error_type").asText(), seen.toString());
  }

  @Test
  void countdownFromPythonIsHonoured() throws Exception {
    JsonNode seen = overRpc("countdown");
    assertEquals(2, seen.path("result").asInt(), seen.toString());
    assertTrue(seen.path("elapsed").asDouble() >= 1.4, seen.toString());
    assertTrue(seen.path("elapsed").asDouble() < 6, "held far too long: " + seen);
  }

  @Test
  void etaFromPythonIsHonoured() throws Exception {
    JsonNode seen = overRpc("eta");
    assertEquals(4, seen.path("result").asInt(), seen.toString());
    assertTrue(seen.path("elapsed").asDouble() >= 1.4, seen.toString());
    assertTrue(seen.path("elapsed").asDouble() < 6, "held far too long: " + seen);
  }

  @Test
  void anExpiredTaskIsRevoked() throws Exception {
    JsonNode seen = overRpc("expired");
    assertEquals("TaskRevokedError", seen.path("error_type").asText(), seen.toString());
  }

  @Test
  void retriesRunInJava() throws Exception {
    assertEquals("ok after 2 retries", overRpc("retry").path("result").asText());
  }

  /**
   * apply_async(retries=2) to a task that retries until it has been retried once: it sees 2 and
   * returns at once (ignoring the header, it would retry once and say "after 1 retries").
   */
  @Test
  void aRetriesCountSetInPythonReachesTheJavaTask() throws Exception {
    JsonNode seen = overRpc("retries_header");
    assertEquals("ok after 2 retries", seen.path("result").asText(), seen.toString());
  }

  @Test
  void softTimeLimitSetInPythonIsHonoured() throws Exception {
    JsonNode seen = overRpc("soft_limit");
    assertEquals("SoftTimeLimitExceeded", seen.path("error_type").asText(), seen.toString());
    assertTrue(seen.path("elapsed").asDouble() < 8, seen.toString());
  }

  @Test
  void hardTimeLimitSetInPythonKillsTheChild() throws Exception {
    JsonNode seen = overRpc("hard_limit");
    assertEquals("TimeLimitExceeded", seen.path("error_type").asText(), seen.toString());
    assertTrue(seen.path("elapsed").asDouble() < 8, seen.toString());
  }

  @Test
  void aThousandTasksFromPythonAllComeBackRightFromChildJvmsOverRpc() throws Exception {
    JsonNode seen = overRpc("thousand");
    assertEquals(1000, seen.path("count").asInt(), seen.toString());
    assertEquals(0, seen.path("wrong").asInt(), seen.toString());
  }

  @Test
  void aThousandTasksFromPythonAllComeBackRightFromFourThreadsOverRedis() throws Exception {
    long before = redisWorker.stats().succeeded();
    JsonNode seen = overRedis("thousand");
    assertEquals(1000, seen.path("count").asInt(), seen.toString());
    assertEquals(0, seen.path("wrong").asInt(), seen.toString());
    assertTrue(redisWorker.stats().succeeded() - before >= 1000, "the Java worker ran them");
  }

  /**
   * Python freezes every step of a chain with its own reply queue as {@code reply_to}; the Java
   * worker sends each next step with it, so the last step's result comes back over rpc:// too.
   */
  @Test
  void chainFromPythonOverRpcRepliesToThePythonClient() throws Exception {
    JsonNode seen = overRpc("chain");
    assertEquals(50, seen.path("result").asInt(), seen.toString());
  }

  @Test
  void linkCallbackFromPythonOverRpcRepliesToThePythonClient() throws Exception {
    JsonNode seen = overRpc("link");
    assertEquals(5, seen.path("result").path("first").asInt(), seen.toString());
    assertEquals(50, seen.path("result").path("callback").asInt(), seen.toString());
  }

  @Test
  void linkCallbackRunsWithTheResult() throws Exception {
    JsonNode seen = overRedis("link");
    assertEquals(5, seen.path("result").path("first").asInt(), seen.toString());
    assertEquals(50, seen.path("result").path("callback").asInt(), seen.toString());
  }

  @Test
  void linkErrorRunsWithTheFailedTaskId() throws Exception {
    JsonNode seen = overRedis("link_error");
    JsonNode result = seen.path("result");
    assertTrue(result.path("failed_id").asText().length() > 30, seen.toString());
    assertEquals(
        "errback saw " + result.path("failed_id").asText(),
        result.path("errback").asText(),
        seen.toString());
  }

  @Test
  void chainFromPythonRunsStepByStep() throws Exception {
    assertEquals(50, overRedis("chain").path("result").asInt());
  }

  @Test
  void groupFromPythonReturnsEveryMembersResult() throws Exception {
    JsonNode seen = overRedis("group");
    assertEquals("[0,2,4,6,8]", seen.path("result").toString(), seen.toString());
  }

  /** Python's rpc:// backend reads every member's reply from its own reply queue. */
  @Test
  void groupFromPythonOverRpcReturnsEveryMembersResult() throws Exception {
    JsonNode seen = overRpc("group");
    assertEquals("[0,2,4,6,8]", seen.path("result").toString(), seen.toString());
  }

  @Test
  void aChordFromPythonIsJoinedByJavaWorkersInRedis() throws Exception {
    JsonNode seen = overRedis("chord");
    assertEquals(12, seen.path("result").asInt(), seen.toString()); // 0+2+4+6
  }

  @Test
  void aChordWithAFailedMemberRaisesChordErrorInPython() throws Exception {
    JsonNode seen = overRedis("chord_error");
    assertEquals("ChordError", seen.path("error_type").asText(), seen.toString());
    assertTrue(seen.path("error_message").asText().contains("boom"), seen.toString());
  }
}
