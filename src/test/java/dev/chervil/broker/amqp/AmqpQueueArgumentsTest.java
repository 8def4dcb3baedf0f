package dev.chervil.broker.amqp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.broker.BrokerUrl;
import dev.chervil.broker.Delivery;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Transport;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.WireMessage;
import dev.chervil.testing.LoggedProblems;
import dev.chervil.testing.Services;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Queue arguments against the shared RabbitMQ, with queues Python's kombu declared. */
class AmqpQueueArgumentsTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private Transport transport;
  private String queue;

  @BeforeEach
  void setUp() {
    Services.requireRabbitMq();
    Services.requirePythonCelery();
    queue = "chervil.test.args." + UUID.randomUUID();
    transport = new AmqpTransport((BrokerUrl.Amqp) BrokerUrl.parse(Services.RABBITMQ_URL));
    transport.start();
  }

  @AfterEach
  void tearDown() {
    if (transport != null) {
      transport.close();
    }
    RabbitMqAdmin.deleteQueuesAndExchanges(queue);
  }

  @Test
  void aKombuPriorityQueueIsConsumedHighestPriorityFirst() throws Exception {
    KombuQueues.declare(Services.RABBITMQ_URL, queue, "{'x-max-priority': 10}");
    try (LoggedProblems problems = LoggedProblems.watch()) {
      transport.declareQueue(QueueSpec.durable(queue).withArguments(Map.of("x-max-priority", 10)));
      assertTrue(
          problems.lines().stream().noneMatch(l -> l.contains("queue-declare-mismatch")),
          () -> "the same arguments as kombu's: no mismatch: " + problems.lines());
    }
    for (int priority : List.of(1, 9, 5)) {
      transport.publish("", queue, message("p" + priority, priority));
    }
    List<String> order = consumeOneAtATime(3);

    assertEquals(List.of("p9", "p5", "p1"), order);
  }

  @Test
  void aDeclareMismatchNamesTheArgumentAndTheQueueIsStillConsumed() throws Exception {
    KombuQueues.declare(Services.RABBITMQ_URL, queue, "{'x-max-priority': 10}");
    try (LoggedProblems problems = LoggedProblems.watch()) {
      transport.declareQueue(QueueSpec.durable(queue)); // no arguments: 406 from RabbitMQ

      String line =
          problems.lines().stream()
              .filter(l -> l.contains("event=queue-declare-mismatch"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no mismatch line: " + problems.lines()));
      assertTrue(line.contains("queue=" + queue), line);
      assertTrue(line.contains("argument=x-max-priority"), line);
      assertTrue(line.contains("--max-priority"), line);
    }
    transport.publish("", queue, message("low", 1));
    transport.publish("", queue, message("high", 8));

    // The queue is the one kombu declared, priorities and all.
    assertEquals(List.of("high", "low"), consumeOneAtATime(2));
  }

  private List<String> consumeOneAtATime(int n) {
    List<String> got = new CopyOnWriteArrayList<>();
    transport.consume(
        queue,
        1,
        d -> {
          got.add(body(d));
          d.ack();
        });
    await().atMost(WAIT).until(() -> got.size() == n);
    return got;
  }

  private static WireMessage message(String id, int priority) {
    MessageProperties p =
        new MessageProperties(
            MessageProperties.JSON, MessageProperties.UTF_8, id, null, 2, priority, null);
    return new WireMessage(p, Map.of(), id.getBytes(StandardCharsets.UTF_8));
  }

  private static String body(Delivery d) {
    return new String(d.message().body(), StandardCharsets.UTF_8);
  }
}
