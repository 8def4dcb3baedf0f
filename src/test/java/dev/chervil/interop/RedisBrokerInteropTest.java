package dev.chervil.interop;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chervil.Chervil;
import dev.chervil.broker.Delivery;
import dev.chervil.broker.ExchangeSpec;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Transport;
import dev.chervil.broker.redis.OwnRedisServer;
import dev.chervil.client.ChervilClient;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.WireMessage;
import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskRegistry;
import dev.chervil.testing.Services;
import dev.chervil.worker.Worker;
import dev.chervil.worker.WorkerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Python's Celery 5.2 and Chervil on one Redis broker (kombu's Redis transport on both sides), each
 * test on a private redis-server (broker db 0, results db 1) so short visibility timeouts cannot
 * restore anyone else's messages: Python sends to Chervil and Chervil to Python, results over
 * redis:// and rpc://; a worker SIGKILLed holding a message and the other side restoring it from
 * kombu's unacked ledger; an ETA task held past the visibility timeout running once.
 */
class RedisBrokerInteropTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  private OwnRedisServer server;
  private String queue;
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();

  @BeforeEach
  void startServer() throws Exception {
    Services.requireRedis();
    Services.requirePythonCelery();
    assumeTrue(OwnRedisServer.available(), "redis-server is not installed");
    server = new OwnRedisServer().start();
    queue = "interop.redis." + UUID.randomUUID();
  }

  @AfterEach
  void stopEverything() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    for (Process p : processes) {
      killNow(p);
    }
    List<String> left =
        ProcessHandle.current()
            .descendants()
            .filter(h -> h.info().command().orElse("").contains("python"))
            .map(h -> h.pid() + " " + h.info().commandLine().orElse("?"))
            .toList();
    assertEquals(List.of(), left, "python processes left behind");
    if (server != null) {
      server.close();
    }
  }

  String broker() {
    return server.url(0);
  }

  String backend() {
    return server.url(1);
  }

  Worker chervilWorker(String brokerUrl, String backendUrl, TaskRegistry registry, String q) {
    Worker w =
        Chervil.worker(
            brokerUrl,
            backendUrl,
            PoolSpec.of(PoolKind.THREADS, 2),
            registry,
            WorkerConfig.defaults().withQueues(List.of(q)));
    toClose.add(w);
    w.start();
    return w;
  }

  ChervilClient client(String backendUrl) {
    ChervilClient c = Chervil.client(broker(), backendUrl);
    toClose.add(c);
    c.start();
    return c;
  }

  Process pythonWorker(CeleryPeer peer, String q) throws Exception {
    Process p = peer.startWorker(q);
    processes.add(p);
    return p;
  }

  static TaskRegistry interopTasks() {
    return new TaskRegistry().register(new InteropTasks());
  }

  @Test
  void pythonClientsGetResultsFromAChervilWorkerOverRedisAndRpc() throws Exception {
    String rpcQueue = queue + ".rpc";
    chervilWorker(broker(), backend(), interopTasks(), queue);
    chervilWorker(broker(), "rpc://", interopTasks(), rpcQueue);

    CeleryPeer overRedis = new CeleryPeer(broker(), backend(), queue);
    assertEquals(5, overRedis.run("add", WAIT).path("result").asInt());
    JsonNode echo = overRedis.run("echo", WAIT);
    assertTrue(echo.path("result").path("same").asBoolean(), echo.toString());
    JsonNode countdown = overRedis.run("countdown", WAIT);
    assertEquals(2, countdown.path("result").asInt(), countdown.toString());
    assertTrue(countdown.path("elapsed").asDouble() >= 1.4, countdown.toString());
    assertEquals("[0,2,4,6,8]", overRedis.run("group", WAIT).path("result").toString());

    CeleryPeer overRpc = new CeleryPeer(broker(), "rpc://", rpcQueue);
    assertEquals(5, overRpc.run("add", WAIT).path("result").asInt());
  }

  @Test
  void aChervilClientGetsResultsFromPythonWorkersOverRedisAndRpc() throws Exception {
    String rpcQueue = queue + ".rpc";
    pythonWorker(new CeleryPeer(broker(), backend(), queue), queue);
    pythonWorker(new CeleryPeer(broker(), "rpc://", rpcQueue), rpcQueue);

    Object viaRedis =
        client(backend()).task("proj.tasks.add").args(2, 3).queue(queue).send().get(WAIT);
    Object viaRpc =
        client("rpc://").task("proj.tasks.add").args(20, 22).queue(rpcQueue).send().get(WAIT);

    assertEquals(5L, ((Number) viaRedis).longValue());
    assertEquals(42L, ((Number) viaRpc).longValue());
  }

  /**
   * The Python worker takes an ETA task (held unacked in kombu's ledger until due) and is
   * SIGKILLed; a Chervil worker started on the queue restores it once it is older than the
   * visibility timeout and runs it.
   */
  @Test
  void aTaskHeldByAKilledPythonWorkerIsRestoredAndRunByChervil() throws Exception {
    Process python = pythonWorker(new CeleryPeer(broker(), backend(), queue), queue);
    ChervilClient client = client(backend());
    assertEquals(
        2L, number(client.task("proj.tasks.add").args(1, 1).queue(queue).send().get(WAIT)));

    var result =
        client
            .task("proj.tasks.add")
            .args(2, 3)
            .queue(queue)
            .countdown(Duration.ofSeconds(4))
            .send();
    awaitHeldInLedger();
    killNow(python);

    chervilWorker(broker() + "?visibility_timeout=2", backend(), interopTasks(), queue);

    assertEquals(5L, number(result.get(WAIT)));
    awaitLedgerEmpty();
  }

  /**
   * A Chervil worker JVM takes an ETA task and is SIGKILLed; a Python worker started on the queue
   * (its startup restore_visible) restores it from the ledger and runs it.
   */
  @Test
  void aTaskHeldByAKilledChervilWorkerIsRestoredAndRunByPython() throws Exception {
    Process java = chervilWorkerJvm(broker() + "?visibility_timeout=2");
    ChervilClient client = client(backend());
    assertEquals(
        2L, number(client.task("proj.tasks.add").args(1, 1).queue(queue).send().get(WAIT)));

    var result =
        client
            .task("proj.tasks.add")
            .args(2, 3)
            .queue(queue)
            .countdown(Duration.ofSeconds(4))
            .send();
    awaitHeldInLedger();
    killNow(java);
    // Python restores at its start and then only every ~100 s: start it once the entry is stale.
    try (Jedis redis = server.client()) {
      await()
          .atMost(WAIT)
          .until(
              () -> {
                List<String> tags = redis.zrange("unacked_index", 0, -1);
                return tags.size() == 1
                    && System.currentTimeMillis() / 1000.0
                            - redis.zscore("unacked_index", tags.get(0))
                        > 2.5;
              });
    }

    pythonWorker(
        new CeleryPeer(broker(), backend(), queue).with("PEER_VISIBILITY_TIMEOUT", "2"), queue);

    assertEquals(5L, number(result.get(WAIT)));
    awaitLedgerEmpty();
  }

  /**
   * Celery issues 5935 and 3270: a task held unacked longer than visibility_timeout is restored and
   * run twice. Chervil keeps the delivery's score fresh, so neither a Python worker (its startup
   * restore) nor another Chervil transport (restoring twice a second) takes it back.
   */
  @Test
  void anEtaTaskHeldPastTheVisibilityTimeoutRunsExactlyOnce() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    TaskRegistry registry =
        interopTasks()
            .register(
                TaskDefinition.named("proj.java.count")
                    .param("n", long.class)
                    .handler((ctx, a) -> runs.incrementAndGet()));
    String vt = "?visibility_timeout=1";
    chervilWorker(broker() + vt, backend(), registry, queue);
    // Another consumer of the same database restoring lost messages every half second:
    String idle = queue + ".idle";
    chervilWorker(broker() + vt, "disabled", interopTasks(), idle);
    ChervilClient client = client(backend());

    var result =
        client.task("proj.java.count").args(1).queue(queue).countdown(Duration.ofSeconds(5)).send();
    awaitHeldInLedger();
    pythonWorker(
        new CeleryPeer(broker(), backend(), idle + ".py").with("PEER_VISIBILITY_TIMEOUT", "1"),
        idle + ".py");

    assertEquals(1L, number(result.get(WAIT)));
    await().during(Duration.ofSeconds(2)).atMost(WAIT).until(() -> runs.get() == 1);
    awaitLedgerEmpty();
  }

  /**
   * Remote control over kombu's fanout on Redis, both ways: a ping Chervil broadcasts on {@code
   * celery.pidbox} is answered by a Python worker through {@code reply.celery.pidbox} (a direct
   * exchange whose binding lives in Redis), and a Python broadcast reaches a Chervil subscriber.
   */
  @Test
  void remoteControlCrossesKombusFanoutBothWays() throws Exception {
    pythonWorker(new CeleryPeer(broker(), backend(), queue), queue);
    Transport t = Chervil.transport(broker());
    toClose.add(t);
    t.start();
    String oid = UUID.randomUUID().toString();
    String replyQueue = oid + ".reply.celery.pidbox";
    t.declareExchange(ExchangeSpec.of("reply.celery.pidbox", ExchangeSpec.Type.DIRECT));
    t.declareQueue(new QueueSpec(replyQueue, false, null, Map.of(), false, true));
    t.bind(replyQueue, "reply.celery.pidbox", oid);
    t.declareExchange(ExchangeSpec.of("celery.pidbox", ExchangeSpec.Type.FANOUT));
    String mine = "chervil-" + oid + ".celery.pidbox";
    t.declareQueue(new QueueSpec(mine, false, null, Map.of(), false, true));
    t.bind(mine, "celery.pidbox", "");
    List<Delivery> replies = new CopyOnWriteArrayList<>();
    List<Delivery> broadcasts = new CopyOnWriteArrayList<>();
    t.consumeNoAck(replyQueue, replies::add);
    t.consumeNoAck(mine, broadcasts::add);
    String ticket = UUID.randomUUID().toString();
    Map<String, Object> ping = new LinkedHashMap<>();
    ping.put("method", "ping");
    ping.put("arguments", Map.of());
    ping.put("destination", null);
    ping.put("pattern", null);
    ping.put("matcher", null);
    ping.put("ticket", ticket);
    ping.put("reply_to", Map.of("exchange", "reply.celery.pidbox", "routing_key", oid));
    WireMessage message =
        new WireMessage(
            MessageProperties.json(null, null),
            Map.of("clock", 1, "expires", 0),
            JSON.writeValueAsBytes(ping));

    // Fanout is at most once: broadcast until the Python worker has subscribed and answers.
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              t.publish("celery.pidbox", "", message);
              return !replies.isEmpty();
            });
    JsonNode reply = JSON.readTree(replies.getFirst().message().body());
    String host = reply.fieldNames().next();
    assertTrue(host.startsWith("peer-" + queue + "@"), reply.toString());
    assertEquals("pong", reply.path(host).path("ok").asText(), reply.toString());

    broadcasts.clear();
    new CeleryPeer(broker(), backend(), queue).run("broadcast_ping", WAIT);
    await().atMost(WAIT).until(() -> !broadcasts.isEmpty());
    assertEquals(
        "ping", JSON.readTree(broadcasts.getLast().message().body()).path("method").asText());
  }

  /**
   * Celery's events on Redis: {@code celeryev}, a topic exchange elsewhere, is a fanout here with
   * the routing key in the channel; a Chervil subscriber bound with {@code #} sees a Python event.
   */
  @Test
  void aPythonEventReachesAChervilSubscriberOnCeleryev() throws Exception {
    Transport t = Chervil.transport(broker());
    toClose.add(t);
    t.start();
    t.declareExchange(ExchangeSpec.of("celeryev", ExchangeSpec.Type.TOPIC));
    String mine = "celeryev." + UUID.randomUUID();
    t.declareQueue(new QueueSpec(mine, false, null, Map.of(), false, true));
    t.bind(mine, "celeryev", "#");
    List<Delivery> events = new CopyOnWriteArrayList<>();
    t.consumeNoAck(mine, events::add);
    try (Jedis redis = server.client()) {
      await().atMost(WAIT).until(() -> redis.pubsubNumPat() == 1);
    }

    assertEquals(
        "sent",
        new CeleryPeer(broker(), backend(), queue).run("send_event", WAIT).path("result").asText());

    await().atMost(WAIT).until(() -> !events.isEmpty());
    JsonNode event = JSON.readTree(events.getFirst().message().body());
    assertEquals("worker-heartbeat", event.path("type").asText(), event.toString());
  }

  private Process chervilWorkerJvm(String brokerUrl) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                "dev.chervil.cli.ChervilCommand",
                "worker",
                "--broker",
                brokerUrl,
                "--result-backend",
                backend(),
                "-Q",
                queue,
                "-P",
                "threads",
                "-c",
                "1",
                "-A",
                InteropTasks.class.getName())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.INHERIT)
            .start();
    processes.add(p);
    return p;
  }

  /** The message was taken from the queue and is held in kombu's unacked ledger. */
  private void awaitHeldInLedger() {
    try (Jedis redis = server.client()) {
      await().atMost(WAIT).until(() -> redis.hlen("unacked") == 1 && redis.llen(queue) == 0);
    }
  }

  private void awaitLedgerEmpty() {
    try (Jedis redis = server.client()) {
      await()
          .atMost(WAIT)
          .until(() -> redis.hlen("unacked") == 0 && redis.zcard("unacked_index") == 0);
    }
  }

  /** SIGKILL, main process first so it cannot hand anything back, then its children. */
  private static void killNow(Process p) throws InterruptedException {
    List<ProcessHandle> tree = p.descendants().toList();
    p.destroyForcibly();
    p.waitFor(10, TimeUnit.SECONDS);
    tree.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle h : tree) {
      h.onExit().join();
    }
  }

  private static long number(Object value) {
    return ((Number) value).longValue();
  }
}
