package dev.chervil.interop;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.broker.Transport;
import dev.chervil.broker.Transports;
import dev.chervil.broker.amqp.RabbitMqAdmin;
import dev.chervil.cli.ChervilCommand;
import dev.chervil.control.Control;
import dev.chervil.control.Mailbox;
import dev.chervil.control.NodeName;
import dev.chervil.events.EventReceiver;
import dev.chervil.testing.Services;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Chervil's remote control and event receiver against a real Python Celery 5.2 worker: the same
 * wire, so {@code chervil inspect}/{@code control}/{@code status} and the Java API work on it.
 */
class ChervilAgainstPythonWorkerTest {
  static final String QUEUE = "control.py." + UUID.randomUUID().toString().substring(0, 8);
  static final String NODE = NodeName.expand("peer-" + QUEUE + "@%h");
  static Process worker;
  static Transport transport;
  static Mailbox mailbox;
  static Control control;

  @BeforeAll
  static void start() throws Exception {
    Services.requireRabbitMq();
    Services.requirePythonCelery();
    worker = new CeleryPeer(Services.RABBITMQ_URL, "rpc://", QUEUE).startWorker(QUEUE);
    transport = Transports.fromUrl(Services.RABBITMQ_URL);
    transport.start();
    mailbox = new Mailbox(transport);
    control = new Control(mailbox, List.of(NODE), Duration.ofSeconds(2));
    await().atMost(Duration.ofSeconds(60)).until(() -> control.inspect().ping().containsKey(NODE));
  }

  @AfterAll
  static void stop() throws Exception {
    if (mailbox != null) {
      mailbox.close();
    }
    if (transport != null) {
      transport.close();
    }
    CeleryPeer.kill(worker);
    RabbitMqAdmin.deleteQueuesAndExchanges(QUEUE);
  }

  @Test
  void javaInspectReadsAPythonWorker() {
    assertEquals(Map.of("ok", "pong"), control.inspect().ping().get(NODE));
    Map<?, ?> stats = (Map<?, ?>) control.inspect().stats().get(NODE);
    assertTrue(stats.containsKey("broker") && stats.containsKey("total"), stats.toString());
    assertTrue(
        control.inspect().registered().get(NODE).toString().contains("proj.tasks.add"),
        "registered");
    List<?> queues = (List<?>) control.inspect().activeQueues().get(NODE);
    assertEquals(QUEUE, ((Map<?, ?>) queues.get(0)).get("name"));
  }

  @Test
  void javaControlSteersAPythonWorker() {
    assertEquals(
        Map.of("ok", "new rate limit set successfully"),
        control.rateLimit("proj.tasks.add", "100/m").get(NODE));
    String id = UUID.randomUUID().toString();
    assertTrue(control.revoke(id).get(NODE).toString().contains(id));
    assertTrue(control.inspect().revoked().get(NODE).toString().contains(id));
    assertEquals(
        Map.of("ok", "time limits set successfully"),
        control.timeLimit("proj.tasks.add", 10.0, 20.0).get(NODE));
  }

  @Test
  void theCommandLineAnswersWithExitCodes() {
    String[] remote = {"-b", Services.RABBITMQ_URL, "-d", NODE, "-t", "3"};
    assertEquals(0, ChervilCommand.execute(concat(new String[] {"inspect", "ping"}, remote)));
    assertEquals(0, ChervilCommand.execute(concat(new String[] {"inspect", "stats"}, remote)));
    assertEquals(
        0,
        ChervilCommand.execute(
            concat(new String[] {"control", "rate_limit", "proj.tasks.add", "50/m"}, remote)));
    assertEquals(0, ChervilCommand.execute(concat(new String[] {"status"}, remote)));
    String[] nobody = {"-b", Services.RABBITMQ_URL, "-d", "nobody@nowhere", "-t", "0.5"};
    assertEquals(4, ChervilCommand.execute(concat(new String[] {"inspect", "ping"}, nobody)));
  }

  @Test
  void theEventReceiverSeesPythonHeartbeats() {
    List<Map<String, Object>> seen = new CopyOnWriteArrayList<>();
    try (EventReceiver receiver = new EventReceiver(transport, seen::add)) {
      receiver.start();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  seen.stream()
                      .anyMatch(
                          e ->
                              NODE.equals(e.get("hostname"))
                                  && "worker-heartbeat".equals(e.get("type"))));
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
