package dev.chervil.interop;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chervil.Chervil;
import dev.chervil.broker.amqp.RabbitMqAdmin;
import dev.chervil.census.Census;
import dev.chervil.census.CensusBaseline;
import dev.chervil.control.NodeName;
import dev.chervil.control.NodeOptions;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.pool.process.ProcessPool;
import dev.chervil.testing.CensusAssertions;
import dev.chervil.testing.Services;
import dev.chervil.worker.Worker;
import dev.chervil.worker.WorkerConfig;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Python's Celery 5.2 inspects, steers and watches Chervil workers on the real RabbitMQ: {@code
 * app.control.inspect()}, {@code celery status}, revoke (waiting, ETA, running with terminate on
 * both pools), rate_limit, pool_grow and pool_shrink, enable_events with {@code
 * app.events.Receiver}, STARTED. One process-pool worker (1 child, --track-started) and one
 * thread-pool worker serve the whole class.
 */
class RemoteControlInteropTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final ObjectMapper JSON = new ObjectMapper();
  static final String RUN = UUID.randomUUID().toString().substring(0, 8);
  static final String PROC_QUEUE = "control.proc." + RUN;
  static final String THREAD_QUEUE = "control.thread." + RUN;
  static final String PROC_NODE = NodeName.expand("proc-" + RUN + "@%h");
  static final String THREAD_NODE = NodeName.expand("thread-" + RUN + "@%h");
  static Worker processes;
  static Worker threads;
  static CensusBaseline baseline;

  @BeforeAll
  static void startWorkers() throws Exception {
    Services.requireRabbitMq();
    Services.requirePythonCelery();
    processes =
        Chervil.worker(
            Services.RABBITMQ_URL,
            "rpc://",
            new PoolSpec(
                PoolKind.PROCESSES,
                1,
                List.of(InteropTasks.class.getName()),
                false,
                false,
                null,
                null),
            WorkerConfig.defaults()
                .withQueues(List.of(PROC_QUEUE))
                .withNode(new NodeOptions(PROC_NODE, false, true, null)));
    processes.start();
    threads =
        Chervil.worker(
            Services.RABBITMQ_URL,
            "rpc://",
            new PoolSpec(
                PoolKind.THREADS,
                2,
                List.of(InteropTasks.class.getName()),
                false,
                false,
                null,
                null),
            WorkerConfig.defaults()
                .withQueues(List.of(THREAD_QUEUE))
                .withNode(new NodeOptions(THREAD_NODE, false, false, null)));
    threads.start();
    // Warm both workers as the tests use them (settler threads, channels) before the baseline.
    assertEquals(5, peer("add", PROC_QUEUE, PROC_NODE, Map.of()).path("result").asInt());
    assertEquals(5, peer("add", THREAD_QUEUE, THREAD_NODE, Map.of()).path("result").asInt());
    ProcessPool pool = (ProcessPool) processes.pool();
    await().atMost(WAIT).until(() -> Census.take(pool).children() == pool.expectedChildren());
    baseline = new CensusBaseline(Census.take(pool));
  }

  @AfterAll
  static void censusBackAndStop() {
    try {
      if (baseline != null) {
        ProcessPool pool = (ProcessPool) processes.pool();
        CensusAssertions.assertBackToBaseline(baseline, pool, pool.expectedChildren(), WAIT);
      }
    } finally {
      if (processes != null) {
        processes.close();
      }
      if (threads != null) {
        threads.close();
      }
      RabbitMqAdmin.deleteQueuesAndExchanges(
          PROC_QUEUE, THREAD_QUEUE, PROC_NODE + ".celery.pidbox", THREAD_NODE + ".celery.pidbox");
    }
  }

  @Test
  void pythonInspectSeesTheJavaWorkerInCelerysShapes() throws Exception {
    JsonNode r = peer("inspect", PROC_QUEUE, PROC_NODE, Map.of());
    assertEquals("pong", r.at("/ping/" + ptr(PROC_NODE) + "/ok").asText(), r.toString());
    JsonNode stats = r.path("stats").path(PROC_NODE);
    assertTrue(stats.path("total").isObject(), stats.toString());
    assertEquals("127.0.0.1", stats.at("/broker/hostname").asText());
    assertEquals(1, stats.at("/pool/max-concurrency").asInt());
    assertTrue(stats.at("/pool/processes").size() >= 1, stats.toString()); // slot + warm spare
    assertEquals(4, stats.path("prefetch_count").asInt());
    assertTrue(stats.at("/rusage/maxrss").asLong() > 0, stats.toString());
    assertEquals(ProcessHandle.current().pid(), stats.path("pid").asLong());
    assertTrue(
        r.path("registered").path(PROC_NODE).toString().contains("proj.tasks.add"), r.toString());
    assertEquals(PROC_QUEUE, r.path("active_queues").path(PROC_NODE).path(0).path("name").asText());
    assertTrue(r.path("revoked").path(PROC_NODE).isArray());
    assertEquals(
        "processes", r.path("conf").path(PROC_NODE).path("worker_pool").asText(), r.toString());
    assertTrue(r.path("active").path(PROC_NODE).isArray());
    assertTrue(
        r.path("unknown").path(0).path(PROC_NODE).path("error").asText().contains("no_such"),
        r.toString());
  }

  @Test
  void celeryStatusAndInspectPingFromTheCommandLine() throws Exception {
    String status = celeryCli(List.of("status", "-t", "2"));
    assertTrue(status.contains(PROC_NODE + ": OK"), status);
    assertTrue(status.contains(THREAD_NODE + ": OK"), status);
    String ping = celeryCli(List.of("inspect", "ping", "-d", THREAD_NODE, "-t", "5"));
    assertTrue(ping.contains("pong"), ping);
  }

  @Test
  void revokeOfAWaitingTaskHolds() throws Exception {
    JsonNode r = peer("revoke_waiting", PROC_QUEUE, PROC_NODE, Map.of());
    assertTrue(r.path("seen_reserved").asBoolean(), r.toString());
    assertEquals("REVOKED", r.path("state").asText(), r.toString());
  }

  @Test
  void revokeBeforeArrivalHolds() throws Exception {
    JsonNode r = peer("revoke_before_arrival", THREAD_QUEUE, THREAD_NODE, Map.of());
    assertEquals("REVOKED", r.path("state").asText(), r.toString());
  }

  @Test
  void revokeOfAnEtaTaskHoldsWhenItBecomesDue() throws Exception {
    JsonNode r = peer("revoke_eta", THREAD_QUEUE, THREAD_NODE, Map.of());
    assertTrue(r.path("seen_scheduled").asBoolean(), r.toString());
    assertTrue(r.path("in_revoked").asBoolean(), r.toString());
    assertEquals("REVOKED", r.path("state").asText(), r.toString());
  }

  @Test
  void terminateKillsTheChildRunningTheTaskAndTheCensusComesBack() throws Exception {
    JsonNode r =
        peer(
            "terminate",
            PROC_QUEUE,
            PROC_NODE,
            Map.of("PEER_TASK", "proj.java.spin", "PEER_SIGNAL", "KILL"));
    assertTrue(r.path("seen_active").asBoolean(), r.toString());
    assertEquals("REVOKED", r.path("state").asText(), r.toString());
    assertTrue(r.path("took").asDouble() < 10, r.toString());
    assertTrue(
        r.at("/reply/0/" + ptr(PROC_NODE) + "/ok").asText().startsWith("terminate: "),
        r.toString());
    ProcessPool pool = (ProcessPool) processes.pool();
    CensusAssertions.assertBackToBaseline(baseline, pool, pool.expectedChildren(), WAIT);
  }

  @Test
  void terminateOnTheThreadPoolCancelsCooperativelyAndSaysSo() throws Exception {
    JsonNode r =
        peer(
            "terminate",
            THREAD_QUEUE,
            THREAD_NODE,
            Map.of("PEER_TASK", "proj.java.sleep", "PEER_SIGNAL", "TERM"));
    assertEquals("REVOKED", r.path("state").asText(), r.toString());
    assertTrue(
        r.at("/reply/0/" + ptr(THREAD_NODE) + "/ok").asText().contains("cooperatively"),
        r.toString());
  }

  @Test
  void rateLimitFromPythonIsEnforced() throws Exception {
    JsonNode r = peer("rate_limit", THREAD_QUEUE, THREAD_NODE, Map.of());
    assertEquals(
        "new rate limit set successfully",
        r.at("/reply/0/" + ptr(THREAD_NODE) + "/ok").asText(),
        r.toString());
    assertEquals("[0,2,4]", r.path("values").toString());
    // 60/m is one start a second: the third task cannot start before 2 s.
    assertTrue(r.path("took").asDouble() >= 1.9, r.toString());
  }

  @Test
  void pythonReceiverSeesHeartbeatsAndTaskEvents() throws Exception {
    JsonNode r = peer("events", PROC_QUEUE, PROC_NODE, Map.of());
    assertEquals(
        "task events enabled",
        r.at("/enable/0/" + ptr(PROC_NODE) + "/ok").asText().replace("already ", ""),
        r.toString());
    String id = r.path("id").asText();
    List<String> types = new ArrayList<>();
    for (JsonNode e : r.path("events")) {
      if (e.path("type").asText().startsWith("worker-") || id.equals(e.path("uuid").asText())) {
        types.add(e.path("type").asText());
        assertEquals(ProcessHandle.current().pid(), e.path("pid").asLong(), e.toString());
        assertTrue(e.path("clock").asLong() > 0, e.toString());
        assertTrue(
            Math.abs(e.path("timestamp").asDouble() - r.path("now").asDouble()) < 35, e.toString());
        assertTrue(e.has("utcoffset"), e.toString());
      }
    }
    assertTrue(types.contains("worker-heartbeat"), types.toString());
    assertTrue(types.contains("task-received"), types.toString());
    assertTrue(types.contains("task-started"), types.toString());
    assertTrue(types.contains("task-succeeded"), types.toString());
  }

  /**
   * {@code app.control.pool_grow} and {@code pool_shrink} answer as Celery's, and {@code inspect
   * stats} shows the new max-concurrency and prefetch; the worker ends at its old size.
   */
  @Test
  void pythonPoolGrowAndShrinkResizeTheThreadPool() throws Exception {
    JsonNode r = peer("pool_resize", THREAD_QUEUE, THREAD_NODE, Map.of());
    String node = ptr(THREAD_NODE);
    assertEquals(2, r.at("/before/pool/max-concurrency").asInt(), r.toString());
    assertEquals(8, r.at("/before/prefetch_count").asInt(), r.toString());
    assertEquals("pool will grow", r.at("/grow/0/" + node + "/ok").asText(), r.toString());
    assertEquals(4, r.at("/grown/pool/max-concurrency").asInt(), r.toString());
    assertEquals(16, r.at("/grown/prefetch_count").asInt(), r.toString());
    assertEquals("pool will shrink", r.at("/shrink/0/" + node + "/ok").asText(), r.toString());
    assertEquals(2, r.at("/shrunk/pool/max-concurrency").asInt(), r.toString());
    assertEquals(8, r.at("/shrunk/prefetch_count").asInt(), r.toString());
    assertTrue(
        r.at("/refused/0/" + node + "/error").asText().contains("at least one slot"), r.toString());
    assertEquals(2, threads.pool().size());
  }

  @Test
  void startedIsStoredWithHostnameAndPid() throws Exception {
    JsonNode r = peer("started", PROC_QUEUE, PROC_NODE, Map.of());
    assertEquals("STARTED", r.path("state").asText(), r.toString());
    assertEquals(PROC_NODE, r.at("/info/hostname").asText(), r.toString());
    assertEquals(ProcessHandle.current().pid(), r.at("/info/pid").asLong());
    assertEquals("SUCCESS", r.path("final").asText());
    assertFalse(r.path("info").isMissingNode());
  }

  // ---- Python ----

  static String ptr(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }

  static JsonNode peer(String scenario, String queue, String node, Map<String, String> extra)
      throws Exception {
    Map<String, String> env = env(queue, node);
    env.putAll(extra);
    String out = python(List.of(CeleryPeer.PYTHON, "control_peer.py", scenario), env);
    return JSON.readTree(out.substring(out.lastIndexOf('\n') + 1));
  }

  static String celeryCli(List<String> args) throws Exception {
    List<String> cmd =
        new ArrayList<>(List.of(CeleryPeer.PYTHON, "-m", "celery", "-A", "control_peer"));
    cmd.addAll(args);
    return python(cmd, env("celery", null));
  }

  static Map<String, String> env(String queue, String node) {
    Map<String, String> env = new HashMap<>();
    env.put("PEER_BROKER", Services.RABBITMQ_URL);
    env.put("PEER_BACKEND", "rpc://");
    env.put("PEER_QUEUE", queue);
    if (node != null) {
      env.put("PEER_NODE", node);
    }
    env.put("PYTHONDONTWRITEBYTECODE", "1");
    return env;
  }

  /** Runs Python with its output in a file, so the timeout holds even if it hangs. */
  static String python(List<String> command, Map<String, String> env) throws Exception {
    Path out = Files.createTempFile("control-peer", ".out");
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(scriptDir().toFile())
            .redirectOutput(out.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      if (!p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
        throw new AssertionError("python " + command + " did not finish in " + WAIT);
      }
      String text = Files.readString(out, StandardCharsets.UTF_8).strip();
      if (p.exitValue() != 0 && !command.contains("status")) {
        throw new AssertionError("python " + command + " exited " + p.exitValue() + ": " + text);
      }
      return text;
    } finally {
      CeleryPeer.kill(p);
      Files.deleteIfExists(out);
    }
  }

  static Path scriptDir() throws URISyntaxException, IOException {
    return Path.of(RemoteControlInteropTest.class.getResource("/interop/control_peer.py").toURI())
        .getParent();
  }
}
