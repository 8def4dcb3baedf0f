package dev.chervil.broker.amqp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.broker.BrokerUrl;
import dev.chervil.broker.Delivery;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Transport;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.WireMessage;
import dev.chervil.testing.LoggedProblems;
import dev.chervil.testing.OwnRabbitMq;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Faults a RabbitMQ node of the test's own suffers (never the shared one): a {@code
 * consumer_timeout} closing the consumer's channel, a handler that throws, a queue deleted under
 * its consumer, every connection closed by the broker. After each, the consumer is back and the
 * deliveries of the dead channel are stale.
 */
class AmqpChannelFaultTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static OwnRabbitMq node;

  private Transport transport;
  private String queue;

  @BeforeAll
  static void startNode() {
    // consumer_timeout is checked on the channel's tick (60 s by default): tick every second.
    node =
        OwnRabbitMq.start(
            Map.of("consumer_timeout", "5000"), "[{rabbit, [{channel_tick_interval, 1000}]}].");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @BeforeEach
  void connect() {
    queue = "chervil.test.fault." + UUID.randomUUID();
    transport =
        new AmqpTransport(
            (BrokerUrl.Amqp) BrokerUrl.parse(node.url()),
            AmqpOptions.defaults().withConnectionName("chervil-fault-" + queue));
    transport.start();
    transport.declareQueue(QueueSpec.durable(queue));
  }

  @AfterEach
  void disconnect() {
    transport.close();
  }

  @Test
  void aChannelClosedByConsumerTimeoutIsReplacedAndNewMessagesStillArrive() {
    List<Delivery> got = new CopyOnWriteArrayList<>();
    try (LoggedProblems problems = LoggedProblems.watch()) {
      transport.consume(queue, 5, got::add);
      transport.publish("", queue, message("held"));
      await().atMost(WAIT).until(() -> got.size() == 1);
      Delivery held = got.getFirst();

      // Held unacked past consumer_timeout: the broker closes the channel and requeues it.
      await().atMost(WAIT).until(() -> got.size() == 2);
      assertTrue(held.isStale(), "the delivery of the closed channel is stale");
      Delivery again = got.get(1);
      assertEquals("held", body(again));
      assertTrue(again.redelivered());
      assertFalse(again.isStale());
      again.ack();
      held.ack(); // a logged no-op, not a second ack on the new channel

      for (int i = 0; i < 3; i++) {
        transport.publish("", queue, message("after-" + i));
      }
      await().atMost(WAIT).until(() -> got.size() == 5);
      got.subList(2, 5).forEach(Delivery::ack);
      assertEquals(List.of("after-0", "after-1", "after-2"), bodies(got.subList(2, 5)));
      assertTrue(
          problems.lines().stream()
              .anyMatch(
                  l ->
                      l.contains("event=consumer-channel-closed")
                          && l.contains("queue=" + queue)
                          && l.contains("timed out")),
          () -> "one WARN line names the queue and the reason: " + problems.lines());
    }
    await().atMost(WAIT).until(() -> queueStats().equals("0\t0\t1"));
  }

  @Test
  void aHandlerThatThrowsHasItsDeliveryRejectedAndTheConsumerLives() {
    List<String> handled = new CopyOnWriteArrayList<>();
    transport.consume(
        queue,
        5,
        d -> {
          handled.add(body(d));
          if (body(d).equals("boom")) {
            throw new IllegalStateException("handler bug");
          }
          d.ack();
        });

    transport.publish("", queue, message("boom"));
    transport.publish("", queue, message("ok"));

    await().atMost(WAIT).until(() -> handled.contains("ok"));
    // Rejected without requeue, so neither redelivered nor left unacked.
    await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> queueStats().equals("0\t0\t1"));
    assertEquals(List.of("boom", "ok"), handled);
  }

  @Test
  void aQueueDeletedUnderItsConsumerIsConsumedAgainOnceItIsBack() {
    List<Delivery> got = new CopyOnWriteArrayList<>();
    try (LoggedProblems problems = LoggedProblems.watch()) {
      transport.consume(
          queue,
          2,
          d -> {
            got.add(d);
            d.ack();
          });
      node.rabbitmqctl("delete_queue", queue);
      // The broker cancels the consumer; re-consuming fails (404) and is retried with backoff.
      await()
          .atMost(WAIT)
          .until(
              () ->
                  problems.lines().stream()
                          .anyMatch(l -> l.contains("event=consumer-cancelled-by-broker"))
                      && problems.lines().stream()
                          .anyMatch(
                              l ->
                                  l.contains("event=consumer-restore-failed")
                                      && l.contains("queue=" + queue)));
    }

    transport.declareQueue(QueueSpec.durable(queue));
    transport.publish("", queue, message("back"));

    await().atMost(WAIT).until(() -> got.size() == 1);
    assertEquals("back", body(got.getFirst()));
  }

  @Test
  void afterTheBrokerClosesTheConnectionBufferedDeliveriesAreStaleAndRedeliveredCopiesAreNot() {
    List<Delivery> got = new CopyOnWriteArrayList<>();
    transport.consume(queue, 5, got::add);
    for (int i = 0; i < 3; i++) {
      transport.publish("", queue, message("m" + i));
    }
    await().atMost(WAIT).until(() -> got.size() == 3);
    List<Delivery> buffered = List.copyOf(got);
    assertTrue(buffered.stream().noneMatch(Delivery::isStale));

    node.closeAllConnections("chervil test: connection blip");

    await().atMost(WAIT).until(() -> buffered.stream().allMatch(Delivery::isStale));
    await().atMost(WAIT).until(() -> got.size() == 6);
    List<Delivery> copies = got.subList(3, 6);
    assertEquals(List.of("m0", "m1", "m2"), bodies(copies));
    assertTrue(copies.stream().allMatch(Delivery::redelivered));
    assertTrue(copies.stream().noneMatch(Delivery::isStale));
    buffered.forEach(Delivery::ack); // no-ops: their tags belong to the dead channel
    copies.forEach(Delivery::ack);

    await().atMost(WAIT).until(() -> queueStats().equals("0\t0\t1"));
  }

  @Test
  void publishesOutstandingWhenTheConnectionDropsFailOrConfirmNoneHangs() {
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      futures.add(transport.publishAsync("", queue, message("p" + i)));
      if (i == 200) {
        node.closeAllConnections("chervil test: drop under publish");
      }
    }
    // Each future settles: confirmed, or failed with the channel (or at the latest by the sweep).
    await().atMost(WAIT).until(() -> futures.stream().allMatch(CompletableFuture::isDone));
    long confirmed = futures.stream().filter(f -> !f.isCompletedExceptionally()).count();
    assertTrue(confirmed >= 1, "the ones confirmed before the drop");

    // Once the connection is back, publishing works again.
    await()
        .atMost(WAIT)
        .ignoreExceptions()
        .until(
            () -> {
              transport.publish("", queue, message("after"));
              return true;
            });
  }

  /** messages_ready, messages_unacknowledged, consumers of the test's queue. */
  private String queueStats() {
    return node
        .rabbitmqctl(
            "-q", "list_queues", "name", "messages_ready", "messages_unacknowledged", "consumers")
        .stream()
        .filter(l -> l.startsWith(queue + "\t"))
        .map(l -> l.substring(queue.length() + 1))
        .findFirst()
        .orElse("missing");
  }

  private static WireMessage message(String body) {
    return new WireMessage(
        MessageProperties.json(body, null), Map.of(), body.getBytes(StandardCharsets.UTF_8));
  }

  private static String body(Delivery d) {
    return new String(d.message().body(), StandardCharsets.UTF_8);
  }

  private static List<String> bodies(List<Delivery> ds) {
    return ds.stream().map(AmqpChannelFaultTest::body).toList();
  }
}
