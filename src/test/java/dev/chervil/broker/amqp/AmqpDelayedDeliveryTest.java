package dev.chervil.broker.amqp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.broker.BrokerUrl;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Transport;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.WireMessage;
import dev.chervil.testing.OwnRabbitMq;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Celery 5.5's delayed-delivery topology, on a node of the test's own: its 28 levels are durable
 * broker-wide names that do not belong on the shared RabbitMQ.
 */
class AmqpDelayedDeliveryTest {
  @Test
  void theRoutingKeyIsTheDelayIn28BinaryDigitsThenTheKey() {
    assertEquals(
        "0.".repeat(25) + "1.0.1.celery",
        DelayedDelivery.routingKey(Duration.ofSeconds(5), "celery"));
    assertThrows(
        IllegalArgumentException.class,
        () -> DelayedDelivery.routingKey(Duration.ofMillis(500), "celery"));
    assertThrows(
        IllegalArgumentException.class,
        () -> DelayedDelivery.routingKey(Duration.ofSeconds(1L << 28), "celery"));
  }

  @Test
  void aDelayedMessageArrivesAfterItsDelayAndNotBefore() {
    try (OwnRabbitMq node = OwnRabbitMq.start()) {
      Transport t = new AmqpTransport((BrokerUrl.Amqp) BrokerUrl.parse(node.url()));
      try {
        t.start();
        t.declareQueue(QueueSpec.durable("tasks"));
        List<Long> arrivals = new CopyOnWriteArrayList<>();
        t.consume(
            "tasks",
            1,
            d -> {
              arrivals.add(System.nanoTime());
              d.ack();
            });
        // The first delayed publish declares the 28 levels; time only the second one.
        t.publishDelayed(Duration.ofSeconds(1), "tasks", message("declares"));
        await().atMost(Duration.ofSeconds(30)).until(() -> arrivals.size() == 1);
        long sent = System.nanoTime();
        t.publishDelayed(Duration.ofSeconds(3), "tasks", message("later"));

        await().atMost(Duration.ofSeconds(20)).until(() -> arrivals.size() == 2);
        long waited = Duration.ofNanos(arrivals.get(1) - sent).toMillis();
        assertTrue(waited >= 2_900, "arrived after " + waited + " ms, before its 3 s delay");
        assertTrue(
            node.rabbitmqctl("-q", "list_queues", "name").contains("celery_delayed_27"),
            "Celery 5.5's level queues");
      } finally {
        t.close();
      }
    }
  }

  private static WireMessage message(String id) {
    return new WireMessage(
        MessageProperties.json(id, null), Map.of(), id.getBytes(StandardCharsets.UTF_8));
  }
}
