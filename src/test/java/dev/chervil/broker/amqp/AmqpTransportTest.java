package dev.chervil.broker.amqp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.broker.BrokerUrl;
import dev.chervil.broker.Delivery;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Transport;
import dev.chervil.broker.TransportContractTest;
import dev.chervil.testing.Services;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AmqpTransportTest extends TransportContractTest {
  private static RabbitMqAdmin admin;
  private String connectionName = "chervil-test-" + UUID.randomUUID();

  @BeforeAll
  static void connectAdmin() throws Exception {
    Services.requireRabbitMq();
    admin = new RabbitMqAdmin();
  }

  @AfterAll
  static void closeAdmin() throws Exception {
    if (admin != null) {
      admin.close();
    }
  }

  @Override
  protected Transport newTransport() {
    return new AmqpTransport(
        (BrokerUrl.Amqp) BrokerUrl.parse(Services.RABBITMQ_URL),
        AmqpOptions.defaults().withConnectionName(connectionName));
  }

  @Override
  protected void deleteQueue(String name) {
    admin.deleteQueue(name);
  }

  @Override
  protected void deleteExchange(String name) {
    admin.deleteExchange(name);
  }

  @Test
  void consumerSurvivesAForcedConnectionCloseAndStaleTagsAreNotSent() throws Exception {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(queue, 1, got::add);
    t.publish("", queue, message("before"));
    await().atMost(WAIT).until(() -> got.size() == 1);
    Delivery stale = got.getFirst();

    assertEquals(1, RabbitMqAdmin.closeConnectionsNamed(connectionName));

    // The broker requeued the unacked message; the recovered consumer gets it again.
    await().atMost(WAIT).until(() -> got.size() == 2);
    Delivery again = got.get(1);
    assertEquals("before", body(again));
    assertTrue(again.redelivered());
    stale.ack(); // its tag belongs to the dead channel: skipped with a log line, never thrown
    again.ack();

    await()
        .atMost(WAIT)
        .ignoreExceptions()
        .until(
            () -> {
              t.publish("", queue, message("after"));
              return true;
            });
    await().atMost(WAIT).until(() -> bodies(got).contains("after"));
    got.getLast().ack();
    // The channel survived the skipped stale ack: nothing was closed for an unknown tag.
    t.publish("", queue, message("later"));
    await().atMost(WAIT).until(() -> bodies(got).contains("later"));
  }

  @Test
  void aReplyQueueIsRedeclaredAfterReconnect() throws Exception {
    Transport t = started();
    String reply = t.declareReplyQueue();
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(
        reply,
        1,
        d -> {
          got.add(d);
          d.ack();
        });

    assertEquals(1, RabbitMqAdmin.closeConnectionsNamed(connectionName));

    await()
        .atMost(WAIT)
        .ignoreExceptions()
        .until(
            () -> {
              t.publish("", reply, message("reply-" + got.size()));
              return !got.isEmpty();
            });
  }

  @Test
  void exchangesAndBindingsComeBackAfterReconnect() throws Exception {
    Transport t = started();
    String exchange = "chervil.test.topic." + UUID.randomUUID();
    exchangesToDelete.add(exchange);
    t.declareExchange(
        new dev.chervil.broker.ExchangeSpec(
            exchange, dev.chervil.broker.ExchangeSpec.Type.TOPIC, false, true));
    String q = t.declareReplyQueue(); // exclusive: dies with the connection, binding and all
    t.bind(q, exchange, "#");
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consumeNoAck(q, got::add);

    assertEquals(1, RabbitMqAdmin.closeConnectionsNamed(connectionName));

    await()
        .atMost(WAIT)
        .ignoreExceptions()
        .until(
            () -> {
              t.publish(exchange, "worker.heartbeat", message("after-" + got.size()));
              return !got.isEmpty();
            });
  }
}
