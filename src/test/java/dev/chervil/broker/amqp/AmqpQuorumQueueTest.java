package dev.chervil.broker.amqp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.broker.BrokerUrl;
import dev.chervil.broker.Delivery;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Subscription;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Quorum queues on the shared RabbitMQ: per-consumer QoS, delivery limit, kombu's declaration. */
class AmqpQuorumQueueTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private Transport transport;
  private String queue;
  private String dlx;

  @BeforeEach
  void setUp() {
    Services.requireRabbitMq();
    queue = "chervil.test.quorum." + UUID.randomUUID();
    dlx = "chervil.test.quorum.dlx." + UUID.randomUUID();
    transport = new AmqpTransport((BrokerUrl.Amqp) BrokerUrl.parse(Services.RABBITMQ_URL));
    transport.start();
  }

  @AfterEach
  void tearDown() {
    if (transport != null) {
      transport.close();
    }
    RabbitMqAdmin.deleteQueuesAndExchanges(queue, queue + AmqpTopology.DEAD_SUFFIX, dlx);
  }

  @Test
  void aPoisonMessageIsDeadLetteredAfterTheDeliveryLimitNotRedeliveredForever() {
    transport.declareQueue(new QueueSpec(queue, true, dlx).withArguments(QueueArguments.quorum(3)));
    AtomicInteger attempts = new AtomicInteger();
    try (LoggedProblems problems = LoggedProblems.watch()) {
      Subscription sub =
          transport.consume(
              queue,
              2,
              d -> {
                attempts.incrementAndGet();
                d.reject(true); // a message that keeps killing its child
              });
      transport.publish("", queue, message("poison"));

      List<Delivery> dead = new CopyOnWriteArrayList<>();
      transport.consume(queue + AmqpTopology.DEAD_SUFFIX, 1, dead::add);
      await().atMost(WAIT).until(() -> dead.size() == 1);
      assertEquals("poison", body(dead.getFirst()));
      sub.cancel();
      // delivered once, then redelivered up to the limit: 1 + 3
      assertEquals(4, attempts.get());
    }
  }

  @Test
  void aQuorumQueueKombuDeclaredIsConsumedWithoutADeclareMismatch() throws Exception {
    Services.requirePythonCelery();
    KombuQueues.declare(Services.RABBITMQ_URL, queue, "{'x-queue-type': 'quorum'}");
    try (LoggedProblems problems = LoggedProblems.watch()) {
      // What `chervil worker --queue-type quorum` declares.
      transport.declareQueue(
          QueueSpec.durable(queue).withArguments(QueueArguments.of("quorum", null, null)));
      assertTrue(
          problems.lines().stream().noneMatch(l -> l.contains("queue-declare-mismatch")),
          () -> problems.lines().toString());
    }
    List<Delivery> got = new CopyOnWriteArrayList<>();
    // Per-consumer QoS: a quorum queue refuses a consumer on a channel with global QoS.
    transport.consume(
        queue,
        3,
        d -> {
          got.add(d);
          d.ack();
        });
    for (int i = 0; i < 5; i++) {
      transport.publish("", queue, message("q" + i));
    }
    await().atMost(WAIT).until(() -> got.size() == 5);
  }

  private static WireMessage message(String id) {
    return new WireMessage(
        MessageProperties.json(id, null), Map.of(), id.getBytes(StandardCharsets.UTF_8));
  }

  private static String body(Delivery d) {
    return new String(d.message().body(), StandardCharsets.UTF_8);
  }
}
