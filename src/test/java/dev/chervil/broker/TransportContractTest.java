package dev.chervil.broker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.WireMessage;
import dev.chervil.testing.LoggedProblems;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Transport} must do, run against each implementation by a subclass. Queue names
 * are unique per test; subclasses delete what a test declared.
 */
public abstract class TransportContractTest {
  protected static final Duration WAIT = Duration.ofSeconds(15);

  protected String queue;
  protected final List<Transport> transports = new ArrayList<>();
  protected final Set<String> queuesToDelete = new HashSet<>();
  protected final Set<String> exchangesToDelete = new HashSet<>();

  /** A new, not yet started transport to the broker under test. */
  protected abstract Transport newTransport();

  /** Removes a queue or exchange a test left on the broker. */
  protected abstract void deleteQueue(String name);

  protected abstract void deleteExchange(String name);

  /**
   * Whether the broker under test dead-letters; a transport that cannot (Redis, as kombu's) says so
   * and proves what it does instead in its own test.
   */
  protected boolean expectsDeadLettering() {
    return true;
  }

  @BeforeEach
  void nameQueue() {
    queue = "chervil.test." + UUID.randomUUID();
    queuesToDelete.add(queue);
    exchangesToDelete.add(queue);
  }

  @AfterEach
  void cleanUp() {
    transports.forEach(Transport::close);
    queuesToDelete.forEach(this::deleteQueue);
    exchangesToDelete.forEach(this::deleteExchange);
  }

  protected Transport started() {
    Transport t = newTransport();
    transports.add(t);
    t.start();
    return t;
  }

  // ---- exchanges, bindings, no-ack consumers (remote control and events) ----

  @Test
  protected void topicAndFanoutExchangesRouteToBoundQueuesConsumedWithoutAcks() {
    Transport t = started();
    String topic = "chervil.test.topic." + UUID.randomUUID();
    String fanout = "chervil.test.fanout." + UUID.randomUUID();
    exchangesToDelete.addAll(List.of(topic, fanout));
    t.declareExchange(ExchangeSpec.of(topic, ExchangeSpec.Type.TOPIC));
    t.declareExchange(ExchangeSpec.of(fanout, ExchangeSpec.Type.FANOUT));
    String tasks = t.declareReplyQueue();
    String all = t.declareReplyQueue();
    t.bind(tasks, topic, "task.#");
    t.bind(all, topic, "#");
    t.bind(all, fanout, "");
    List<Delivery> taskEvents = new CopyOnWriteArrayList<>();
    List<Delivery> everything = new CopyOnWriteArrayList<>();
    t.consumeNoAck(tasks, taskEvents::add);
    t.consumeNoAck(all, everything::add);
    t.publish(topic, "task.succeeded", message("t1"));
    t.publish(topic, "worker.heartbeat", message("w1"));
    t.publish(fanout, "ignored", message("f1"));
    await().atMost(WAIT).until(() -> everything.size() == 3);
    await().atMost(WAIT).until(() -> taskEvents.size() == 1);
    assertEquals(List.of("t1"), bodies(taskEvents));
    everything.getFirst().ack(); // settled by the broker already: a no-op, never a channel error
    t.publish(topic, "task.failed", message("t2"));
    await().atMost(WAIT).until(() -> bodies(taskEvents).contains("t2"));
  }

  protected static WireMessage message(String body) {
    return new WireMessage(
        MessageProperties.json(body, null), Map.of(), body.getBytes(StandardCharsets.UTF_8));
  }

  protected static String body(Delivery d) {
    return new String(d.message().body(), StandardCharsets.UTF_8);
  }

  protected static List<String> bodies(List<Delivery> deliveries) {
    return deliveries.stream().map(TransportContractTest::body).toList();
  }

  @Test
  void roundTripCarriesEveryPropertyAndHeader() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    Map<String, Object> stamps = new LinkedHashMap<>();
    stamps.put("origin", "gen1@host");
    stamps.put("depth", 3);
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put("lang", "py");
    headers.put("task", "proj.add");
    headers.put("retries", 2);
    headers.put("big", 5_000_000_000L);
    headers.put("ignore_result", true);
    headers.put("ratio", 0.5);
    headers.put("timelimit", Arrays.asList(null, 30));
    headers.put("stamps", stamps);
    headers.put("argsrepr", "(1, 2)");
    MessageProperties props =
        new MessageProperties(
            MessageProperties.JSON, MessageProperties.UTF_8, "id-1", "reply.q", 2, 5, "60000");
    byte[] body = "[[1,2],{},{}]".getBytes(StandardCharsets.UTF_8);
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(queue, 1, got::add);

    t.publish("", queue, new WireMessage(props, headers, body));

    await().atMost(WAIT).until(() -> got.size() == 1);
    Delivery d = got.getFirst();
    assertEquals(props, d.message().properties());
    assertEquals(headers, d.message().headers());
    assertArrayEquals(body, d.message().body());
    assertEquals(queue, d.queue());
    assertFalse(d.redelivered());
    d.ack();
  }

  @Test
  void publishingToTheQueuesOwnDirectExchangeReachesTheQueue() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(queue, 1, got::add);

    t.publish(queue, queue, message("via-exchange"));

    await().atMost(WAIT).until(() -> got.size() == 1);
    assertEquals("via-exchange", body(got.getFirst()));
  }

  @Test
  void noMoreThanPrefetchDeliveriesAreUnacknowledgedAtOnce() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    for (int i = 0; i < 5; i++) {
      t.publish("", queue, message("m" + i));
    }
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(queue, 2, got::add);

    await().atMost(WAIT).until(() -> got.size() == 2);
    await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> got.size() == 2);
    got.getFirst().ack();
    await().atMost(WAIT).until(() -> got.size() == 3);
    assertEquals(List.of("m0", "m1", "m2"), bodies(got));
  }

  @Test
  void changingPrefetchAppliesToTheRunningConsumer() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    for (int i = 0; i < 4; i++) {
      t.publish("", queue, message("m" + i));
    }
    List<Delivery> got = new CopyOnWriteArrayList<>();
    Subscription sub = t.consume(queue, 1, got::add);
    await().atMost(WAIT).until(() -> got.size() == 1);

    sub.prefetch(3);

    await().atMost(WAIT).until(() -> got.size() == 3);
    assertEquals(3, sub.prefetch());
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> got.size() == 3);
  }

  /**
   * A prefetch change counts what is already held (on AMQP the limit is per consumer, so the
   * transport re-consumes with the room left), and the window fills up to the new count as the
   * deliveries held under the old one settle, never beyond it.
   */
  @Test
  void afterAPrefetchChangeTheWindowRefillsToTheNewCountAndNeverExceedsIt() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    for (int i = 0; i < 10; i++) {
      t.publish("", queue, message("m" + i));
    }
    List<Delivery> got = new CopyOnWriteArrayList<>();
    Subscription sub = t.consume(queue, 2, got::add);
    await().atMost(WAIT).until(() -> got.size() == 2);

    sub.prefetch(3);
    await().atMost(WAIT).until(() -> got.size() == 3);
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> got.size() == 3);

    got.get(0).ack();
    got.get(1).ack(); // the two held under the old limit: room for two more, not more
    await().atMost(WAIT).until(() -> got.size() == 5);
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> got.size() == 5);

    sub.prefetch(1); // 3 unacked now: nothing new until only none are left
    got.get(2).ack();
    got.get(3).ack();
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> got.size() == 5);
    got.get(4).ack();
    await().atMost(WAIT).until(() -> got.size() == 6);
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> got.size() == 6);
    assertEquals(List.of("m0", "m1", "m2", "m3", "m4", "m5"), bodies(got));
  }

  @Test
  void rejectWithRequeueRedeliversWithTheRedeliveredFlag() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(queue, 1, got::add);
    t.publish("", queue, message("again"));
    await().atMost(WAIT).until(() -> got.size() == 1);
    assertFalse(got.getFirst().redelivered());

    got.getFirst().reject(true);

    await().atMost(WAIT).until(() -> got.size() == 2);
    assertEquals("again", body(got.get(1)));
    assertTrue(got.get(1).redelivered());
    got.get(1).ack();
  }

  @Test
  void rejectWithoutRequeueDeadLettersWhenConfiguredAndABrokerThatCannotRefusesTheQueue() {
    String dlx = "chervil.test.dlx." + UUID.randomUUID();
    exchangesToDelete.add(dlx);
    queuesToDelete.add(queue + ".dead");
    Transport t = started();
    assertEquals(expectsDeadLettering(), t.supportsDeadLettering());
    if (!expectsDeadLettering()) {
      // kombu's Redis has no dead-lettering: saying so at declare beats dropping poison silently
      assertThrows(TransportException.class, () -> t.declareQueue(new QueueSpec(queue, true, dlx)));
      return;
    }
    t.declareQueue(new QueueSpec(queue, true, dlx));
    List<Delivery> got = new CopyOnWriteArrayList<>();
    List<Delivery> dead = new CopyOnWriteArrayList<>();
    t.consume(queue, 1, got::add);
    t.consume(queue + ".dead", 1, dead::add);
    t.publish("", queue, message("poison"));
    await().atMost(WAIT).until(() -> got.size() == 1);

    got.getFirst().reject(false);

    await().atMost(WAIT).until(() -> dead.size() == 1);
    assertEquals("poison", body(dead.getFirst()));
    assertEquals("poison", dead.getFirst().message().properties().correlationId());
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> got.size() == 1);
  }

  @Test
  void aSecondSettlementIsIgnoredAndTheConsumerKeepsWorking() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(queue, 1, got::add);
    t.publish("", queue, message("once"));
    await().atMost(WAIT).until(() -> got.size() == 1);

    got.getFirst().ack();
    got.getFirst().ack();
    got.getFirst().reject(true);

    t.publish("", queue, message("next"));
    await().atMost(WAIT).until(() -> got.size() == 2);
    assertEquals("next", body(got.get(1)));
    got.get(1).ack();
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> got.size() == 2);
  }

  @Test
  void settlingFromAnotherThreadWorks() throws Exception {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(queue, 1, got::add);
    t.publish("", queue, message("a"));
    t.publish("", queue, message("b"));
    await().atMost(WAIT).until(() -> got.size() == 1);

    Thread other = Thread.ofPlatform().start(() -> got.getFirst().ack());
    other.join();

    await().atMost(WAIT).until(() -> got.size() == 2);
    assertEquals(List.of("a", "b"), bodies(got));
  }

  @Test
  void closingASubscriptionRequeuesItsUnacknowledgedDeliveries() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    t.publish("", queue, message("x"));
    t.publish("", queue, message("y"));
    List<Delivery> first = new CopyOnWriteArrayList<>();
    Subscription sub = t.consume(queue, 5, first::add);
    await().atMost(WAIT).until(() -> first.size() == 2);

    sub.close();
    sub.close();

    List<Delivery> second = new CopyOnWriteArrayList<>();
    t.consume(queue, 5, second::add);
    await().atMost(WAIT).until(() -> second.size() == 2);
    assertEquals(List.of("x", "y"), bodies(second));
    assertTrue(second.stream().allMatch(Delivery::redelivered));
    first.getFirst().ack(); // settling on the closed subscription is ignored, not thrown
    second.forEach(Delivery::ack);
  }

  @Test
  void competingConsumersBothReceive() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    List<Delivery> a = new CopyOnWriteArrayList<>();
    List<Delivery> b = new CopyOnWriteArrayList<>();
    t.consume(queue, 1, a::add);
    t.consume(queue, 1, b::add);

    t.publish("", queue, message("1"));
    t.publish("", queue, message("2"));

    await().atMost(WAIT).until(() -> a.size() == 1 && b.size() == 1);
  }

  @Test
  void anExpiredMessageIsNotDelivered() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    // "0": RabbitMQ drops it unless a consumer can take it at once; there is no consumer yet.
    t.publish(
        "",
        queue,
        new WireMessage(
            MessageProperties.json("stale", null).withExpiration("0"),
            Map.of(),
            "stale".getBytes(StandardCharsets.UTF_8)));
    t.publish("", queue, message("fresh"));
    List<Delivery> got = new CopyOnWriteArrayList<>();

    t.consume(queue, 5, got::add);

    await().atMost(WAIT).until(() -> !got.isEmpty());
    assertEquals("fresh", body(got.getFirst()));
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> got.size() == 1);
  }

  @Test
  protected void
      redeclaringWithADifferentArgumentWarnsNamingQueueAndArgumentAndUsesTheQueueAsItIs() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    String dlx = "chervil.test.dlx." + UUID.randomUUID();
    exchangesToDelete.add(dlx);
    queuesToDelete.add(queue + ".dead");

    try (LoggedProblems problems = LoggedProblems.watch()) {
      t.declareQueue(new QueueSpec(queue, true, dlx)); // no exception: the queue can be consumed

      assertTrue(
          problems.lines().stream()
              .anyMatch(
                  l ->
                      l.contains("event=queue-declare-mismatch")
                          && l.contains("queue=" + queue)
                          && l.contains("x-dead-letter-exchange")),
          () -> "a WARN names the queue and the argument: " + problems.lines());
    }
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(queue, 1, got::add);
    t.publish("", queue, message("still-fine"));
    await().atMost(WAIT).until(() -> got.size() == 1);
  }

  @Test
  void aReplyQueueReceivesWhatIsPublishedToItsName() {
    Transport t = started();
    String reply = t.declareReplyQueue();
    queuesToDelete.add(reply);
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(reply, 1, got::add);

    t.publish("", reply, message("result"));

    await().atMost(WAIT).until(() -> got.size() == 1);
    assertEquals("result", body(got.getFirst()));
  }

  @Test
  void consumingAnUnknownQueueFailsWithItsName() {
    Transport t = started();
    TransportException e =
        assertThrows(TransportException.class, () -> t.consume(queue, 1, d -> {}));
    assertTrue(e.getMessage().contains(queue), e.getMessage());
  }

  @Test
  void startAndCloseAreIdempotentAndUseAfterCloseFails() {
    Transport t = started();
    t.start();
    t.declareQueue(QueueSpec.durable(queue));
    t.close();
    t.close();
    assertThrows(IllegalStateException.class, () -> t.publish("", queue, message("late")));
    assertThrows(IllegalStateException.class, t::start);
    Transport neverStarted = newTransport();
    neverStarted.close();
  }

  @Test
  void threadsReturnToBaselineAfterClose() {
    Set<Thread> baseline = Thread.getAllStackTraces().keySet();
    Transport t = newTransport();
    t.start();
    t.declareQueue(QueueSpec.durable(queue));
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(
        queue,
        1,
        d -> {
          got.add(d);
          d.ack();
        });
    t.consume(queue, 1, got::add);
    t.publish("", queue, message("1"));
    await().atMost(WAIT).until(() -> got.size() == 1);

    t.close();

    await().pollInSameThread().atMost(WAIT).until(() -> newThreads(baseline).isEmpty());
  }

  private static List<String> newThreads(Set<Thread> baseline) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(th -> !baseline.contains(th) && th.isAlive())
        .map(Thread::getName)
        .toList();
  }
}
