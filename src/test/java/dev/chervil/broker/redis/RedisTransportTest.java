package dev.chervil.broker.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chervil.broker.BrokerUrl;
import dev.chervil.broker.Delivery;
import dev.chervil.broker.ExchangeSpec;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Subscription;
import dev.chervil.broker.Transport;
import dev.chervil.broker.TransportContractTest;
import dev.chervil.broker.TransportException;
import dev.chervil.broker.Transports;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.WireMessage;
import dev.chervil.testing.Services;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientType;
import redis.clients.jedis.params.ClientKillParams;

/**
 * The transport contract on the real Redis (database 9, unique queue names), plus what is
 * Redis-specific: kombu's keys and envelope, priorities, the unacked ledger, visibility refresh,
 * fanout, reconnect. Tests with a short visibility timeout run on a private redis-server, so they
 * can never restore another test's messages.
 */
class RedisTransportTest extends TransportContractTest {
  static final int DB = 9;
  static final String URL = "redis://127.0.0.1:6379/" + DB;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Jedis admin;

  @BeforeAll
  static void connectAdmin() {
    Services.requireRedis();
    admin = new Jedis("127.0.0.1", 6379);
    admin.select(DB);
  }

  @AfterAll
  static void closeAdmin() {
    if (admin != null) {
      admin.close();
    }
  }

  @Override
  protected Transport newTransport() {
    return new RedisTransport(URL);
  }

  @Override
  protected void deleteQueue(String name) {
    admin.del(KombuKeys.listsOf(name));
    admin.del(KombuKeys.bindings(name));
  }

  @Override
  protected void deleteExchange(String name) {
    admin.del(KombuKeys.bindings(name));
  }

  @Override
  protected boolean expectsDeadLettering() {
    return false;
  }

  /**
   * Redis has no queue arguments (kombu ignores them) and no dead-lettering, so there is nothing to
   * mismatch: a redeclaration with other arguments is taken as is and the queue still consumes. A
   * dead-letter exchange is refused outright (a rejected message could not reach it).
   */
  @Override
  @Test
  protected void
      redeclaringWithADifferentArgumentWarnsNamingQueueAndArgumentAndUsesTheQueueAsItIs() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    t.declareQueue(QueueSpec.durable(queue).withArguments(Map.of("x-max-priority", 10)));
    assertThrows(
        TransportException.class,
        () -> t.declareQueue(new QueueSpec(queue, true, "chervil.test.dlx")));
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(queue, 1, got::add);
    t.publish("", queue, message("still-fine"));
    await().atMost(Duration.ofSeconds(15)).until(() -> got.size() == 1);
  }

  /**
   * On Redis a fanout is PUB/SUB, at most once (kombu's too): a subscriber sees only what is
   * published after its subscription is live, and subscribing is asynchronous. So the fanout
   * message is published until it arrives; topic routing goes through lists and is exact. As in
   * kombu, a queue bound to a fanout is consumed by subscription only, so the fanout gets a queue
   * of its own here.
   */
  @Override
  @Test
  protected void topicAndFanoutExchangesRouteToBoundQueuesConsumedWithoutAcks() {
    Transport t = started();
    String topic = "chervil.test.topic." + UUID.randomUUID();
    String fanout = "chervil.test.fanout." + UUID.randomUUID();
    t.declareExchange(ExchangeSpec.of(topic, ExchangeSpec.Type.TOPIC));
    t.declareExchange(ExchangeSpec.of(fanout, ExchangeSpec.Type.FANOUT));
    String tasks = t.declareReplyQueue();
    String all = t.declareReplyQueue();
    String broadcasts = t.declareReplyQueue();
    t.bind(tasks, topic, "task.#");
    t.bind(all, topic, "#");
    t.bind(broadcasts, fanout, "");
    List<Delivery> taskEvents = new CopyOnWriteArrayList<>();
    List<Delivery> everything = new CopyOnWriteArrayList<>();
    List<Delivery> fanned = new CopyOnWriteArrayList<>();
    t.consumeNoAck(tasks, taskEvents::add);
    t.consumeNoAck(all, everything::add);
    t.consumeNoAck(broadcasts, fanned::add);
    t.publish(topic, "task.succeeded", message("t1"));
    t.publish(topic, "worker.heartbeat", message("w1"));
    await().atMost(Duration.ofSeconds(15)).until(() -> everything.size() == 2);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> {
              // With kombu's fanout_patterns a routing key becomes part of the channel name, and a
              // queue bound with "" listens to the bare exchange channel: publish with "".
              t.publish(fanout, "", message("f1"));
              return fanned.stream().anyMatch(d -> body(d).equals("f1"));
            });
    assertEquals(List.of("t1"), taskEvents.stream().map(d -> body(d)).toList());
    everything.getFirst().ack(); // settled already: a no-op
  }

  @Test
  void theUrlMakesARedisTransport() {
    Transport t = Transports.fromUrl(URL + "?visibility_timeout=20");
    assertTrue(t instanceof RedisTransport);
    assertEquals(Duration.ofSeconds(20), ((RedisTransport) t).options().visibilityTimeout());
    assertEquals(Duration.ofSeconds(5), ((RedisTransport) t).options().refreshInterval());
    t.close();
  }

  @Test
  void publishWritesKombusEnvelopeAndDeclareWritesKombusBinding() throws Exception {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    assertEquals(
        java.util.Set.of(queue + "\u0006\u0016\u0006\u0016" + queue),
        admin.smembers("_kombu.binding." + queue));

    t.publish(
        "",
        queue,
        new WireMessage(
            MessageProperties.json("id-7", "reply.q"),
            Map.of("task", "proj.add", "id", "id-7"),
            "[[1,2],{},{}]".getBytes(StandardCharsets.UTF_8)));

    JsonNode env = JSON.readTree(admin.lindex(queue, 0));
    assertEquals("[[1,2],{},{}]", new String(Base64.getDecoder().decode(env.get("body").asText())));
    assertEquals("application/json", env.get("content-type").asText());
    assertEquals("utf-8", env.get("content-encoding").asText());
    assertEquals("proj.add", env.get("headers").get("task").asText());
    JsonNode props = env.get("properties");
    assertEquals("base64", props.get("body_encoding").asText());
    assertEquals(36, props.get("delivery_tag").asText().length());
    assertEquals("", props.get("delivery_info").get("exchange").asText());
    assertEquals(queue, props.get("delivery_info").get("routing_key").asText());
    assertEquals(0, props.get("priority").asInt());
    assertEquals("id-7", props.get("correlation_id").asText());
    assertEquals("reply.q", props.get("reply_to").asText());
    assertEquals(2, props.get("delivery_mode").asInt());
  }

  @Test
  void prioritiesGoToKombusSubQueuesAndZeroIsServedFirst() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    for (int p : new int[] {9, 5, 0}) {
      t.publish("", queue, withPriority("p" + p, p));
    }
    assertEquals(1, admin.llen(queue + "\u0006\u00169"));
    assertEquals(1, admin.llen(queue + "\u0006\u00163"));
    assertEquals(1, admin.llen(queue));
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(
        queue,
        1,
        d -> {
          got.add(d);
          d.ack();
        });
    await().atMost(WAIT).until(() -> got.size() == 3);
    assertEquals(List.of("p0", "p5", "p9"), bodies(got));
  }

  @Test
  void aDeliveryIsInKombusLedgerUntilAcked() throws Exception {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(queue, 1, got::add);
    t.publish("", queue, message("held"));
    await().atMost(WAIT).until(() -> got.size() == 1);
    String tag = ((RedisDelivery) got.getFirst()).tag();

    JsonNode entry = JSON.readTree(admin.hget("unacked", tag));
    assertEquals("held", new String(Base64.getDecoder().decode(entry.get(0).get("body").asText())));
    assertEquals("", entry.get(1).asText());
    assertEquals(queue, entry.get(2).asText());
    Double score = admin.zscore("unacked_index", tag);
    assertNotNull(score);
    assertTrue(Math.abs(score - System.currentTimeMillis() / 1000.0) < 30, "score " + score);

    got.getFirst().ack();

    assertNull(admin.hget("unacked", tag));
    assertNull(admin.zscore("unacked_index", tag));
  }

  @Test
  void rejectWithoutRequeueDropsTheMessageAndADeadLetterExchangeIsRefused() {
    Transport t = started();
    assertFalse(t.supportsDeadLettering());
    TransportException refused =
        assertThrows(
            TransportException.class, () -> t.declareQueue(new QueueSpec(queue, true, "dlx")));
    assertTrue(refused.getMessage().contains("x-dead-letter-exchange"), refused.getMessage());
    t.declareQueue(QueueSpec.durable(queue));
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(queue, 1, got::add);
    t.publish("", queue, message("poison"));
    await().atMost(WAIT).until(() -> got.size() == 1);
    String tag = ((RedisDelivery) got.getFirst()).tag();

    got.getFirst().reject(false);

    assertNull(admin.hget("unacked", tag));
    assertEquals(0, admin.llen(queue));
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> got.size() == 1);
  }

  @Test
  void topicBindingsStoreKombusPatternAndRoute() {
    String exchange = "chervil.test.topic." + UUID.randomUUID();
    exchangesToDelete.add(exchange);
    Transport t = started();
    t.declareExchange(ExchangeSpec.of(exchange, ExchangeSpec.Type.TOPIC));
    t.declareQueue(QueueSpec.durable(queue));
    t.bind(queue, exchange, "task.*.done");
    assertTrue(
        admin
            .smembers("_kombu.binding." + exchange)
            .contains("task.*.done\u0006\u0016^task\\..*?[^\\.]\\.done$\u0006\u0016" + queue));
    List<Delivery> got = new CopyOnWriteArrayList<>();
    t.consume(
        queue,
        5,
        d -> {
          got.add(d);
          d.ack();
        });

    t.publish(exchange, "task.x.done", message("match"));
    t.publish(exchange, "task.x.failed", message("no"));

    await().atMost(WAIT).until(() -> got.size() == 1);
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> got.size() == 1);
    assertEquals("match", body(got.getFirst()));
  }

  @Test
  void fanoutGoesOverPubSubOnKombusChannelToEveryBoundQueue() {
    String exchange = "chervil.test.fanout." + UUID.randomUUID();
    exchangesToDelete.add(exchange);
    String other = queue + ".other";
    queuesToDelete.add(other);
    Transport t = started();
    t.declareExchange(ExchangeSpec.of(exchange, ExchangeSpec.Type.FANOUT));
    t.declareQueue(new QueueSpec(queue, false, null, Map.of(), false, true));
    t.declareQueue(new QueueSpec(other, false, null, Map.of(), false, true));
    t.bind(queue, exchange, "");
    t.bind(other, exchange, "");
    List<Delivery> a = new CopyOnWriteArrayList<>();
    List<Delivery> b = new CopyOnWriteArrayList<>();
    FanoutConsumer sa = (FanoutConsumer) t.consumeNoAck(queue, a::add);
    FanoutConsumer sb = (FanoutConsumer) t.consumeNoAck(other, b::add);
    await().atMost(WAIT).until(() -> sa.subscribed() && sb.subscribed());
    // kombu's channel for a fanout exchange, as a Python publisher would use it:
    admin.publish(
        "/" + DB + "." + exchange,
        KombuEnvelope.encode(exchange, "", message("from-kombu"), System.currentTimeMillis()));
    await().atMost(WAIT).until(() -> a.size() == 1 && b.size() == 1);

    t.publish(exchange, "", message("broadcast"));

    await().atMost(WAIT).until(() -> a.size() == 2 && b.size() == 2);
    assertEquals(List.of("from-kombu", "broadcast"), bodies(a));
    a.getFirst().ack(); // no-ack: a no-op
    assertEquals(0, admin.llen(queue));
  }

  @Test
  void consumingWithoutAcksLeavesNothingInTheLedger() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    List<Delivery> got = new CopyOnWriteArrayList<>();
    long before = admin.hlen("unacked");
    t.consumeNoAck(queue, got::add);

    for (int i = 0; i < 3; i++) {
      t.publish("", queue, message("n" + i));
    }

    await().atMost(WAIT).until(() -> got.size() == 3);
    assertEquals(List.of("n0", "n1", "n2"), bodies(got));
    got.forEach(Delivery::ack); // no-ops
    assertEquals(before, admin.hlen("unacked"));
  }

  @Test
  void publishAsyncCompletesOnceRedisHasTheMessageAndFailsAfterClose() throws Exception {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    List<java.util.concurrent.CompletableFuture<Void>> futures = new java.util.ArrayList<>();
    for (int i = 0; i < 20; i++) {
      futures.add(t.publishAsync("", queue, message("a" + i)));
    }
    java.util.concurrent.CompletableFuture.allOf(
            futures.toArray(new java.util.concurrent.CompletableFuture[0]))
        .get(15, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(20, admin.llen(queue));
    t.close();
    assertThrows(IllegalStateException.class, () -> t.publishAsync("", queue, message("late")));
  }

  @Test
  void aDeadConsumersMessageIsRestoredAfterTheVisibilityTimeout() throws Exception {
    assumeTrue(OwnRedisServer.available(), "redis-server is not installed");
    try (OwnRedisServer server = new OwnRedisServer().start();
        Jedis redis = server.client()) {
      Transport producer = track(new RedisTransport(server.url(0)));
      producer.declareQueue(QueueSpec.durable(queue));
      producer.publish("", queue, message("orphan"));
      // What a consumer that died holding the message leaves: popped, in the ledger, old score.
      KombuEnvelope orphan = KombuEnvelope.decode(redis.rpop(queue), queue);
      redis.hset("unacked", orphan.deliveryTag(), orphan.unackedEntry());
      redis.zadd("unacked_index", System.currentTimeMillis() / 1000.0 - 5, orphan.deliveryTag());

      Transport rescuer =
          track(
              new RedisTransport(
                  (BrokerUrl.Redis) BrokerUrl.parse(server.url(0)),
                  RedisOptions.withVisibilityTimeout(Duration.ofSeconds(2))));
      List<Delivery> got = new CopyOnWriteArrayList<>();
      rescuer.consume(queue, 1, got::add);

      await().atMost(WAIT).until(() -> got.size() == 1);
      assertEquals("orphan", body(got.getFirst()));
      assertTrue(got.getFirst().redelivered());
      assertFalse(got.getFirst().message().headers().containsKey("redelivered"));
      got.getFirst().ack();
      assertEquals(0, redis.hlen("unacked"));
    }
  }

  @Test
  void aDeliveryHeldPastTheVisibilityTimeoutIsNotRestored() throws Exception {
    assumeTrue(OwnRedisServer.available(), "redis-server is not installed");
    try (OwnRedisServer server = new OwnRedisServer().start()) {
      RedisOptions shortVisibility = RedisOptions.withVisibilityTimeout(Duration.ofSeconds(1));
      BrokerUrl.Redis url = (BrokerUrl.Redis) BrokerUrl.parse(server.url(0));
      Transport holder = track(new RedisTransport(url, shortVisibility));
      Transport other = track(new RedisTransport(url, shortVisibility));
      holder.declareQueue(QueueSpec.durable(queue));
      List<Delivery> held = new CopyOnWriteArrayList<>();
      holder.consume(queue, 1, held::add);
      holder.publish("", queue, message("long-task"));
      await().atMost(WAIT).until(() -> held.size() == 1);
      List<Delivery> stolen = new CopyOnWriteArrayList<>();
      other.consume(queue, 1, stolen::add);

      // Four visibility timeouts: kombu would have restored it (and run it twice) by now.
      await().during(Duration.ofSeconds(4)).atMost(WAIT).until(stolen::isEmpty);

      assertFalse(held.getFirst().isStale());
      held.getFirst().ack();
      try (Jedis redis = server.client()) {
        assertEquals(0, redis.hlen("unacked"));
      }
    }
  }

  @Test
  void aConsumerReconnectsAfterTheServerDiesAndItsLostDeliveryIsStale() throws Exception {
    assumeTrue(OwnRedisServer.available(), "redis-server is not installed");
    OwnRedisServer server = new OwnRedisServer().start();
    try {
      Transport t = track(new RedisTransport(server.url(0)));
      t.declareQueue(QueueSpec.durable(queue));
      List<Delivery> got = new CopyOnWriteArrayList<>();
      Subscription sub =
          t.consume(queue, 1, got::add); // full window: only a liveness check sees it
      t.publish("", queue, message("before"));
      await().atMost(WAIT).until(() -> got.size() == 1);

      server.kill();
      server.start(); // same port, empty: the ledger entry of "before" is gone

      await().atMost(WAIT).until(() -> got.getFirst().isStale());
      got.getFirst().ack(); // logged no-op, frees the prefetch slot
      await()
          .atMost(WAIT)
          .ignoreExceptions()
          .until(
              () -> {
                t.declareQueue(QueueSpec.durable(queue));
                t.publish("", queue, message("after"));
                return true;
              });
      await().atMost(WAIT).until(() -> bodies(got).contains("after"));
      assertEquals(1, sub.prefetch());
    } finally {
      server.close();
    }
  }

  @Test
  void aDroppedConnectionIsRetriedAndHeldDeliveriesStayValid() throws Exception {
    assumeTrue(OwnRedisServer.available(), "redis-server is not installed");
    try (OwnRedisServer server = new OwnRedisServer().start();
        Jedis redis = server.client()) {
      Transport t = track(new RedisTransport(server.url(0)));
      t.declareQueue(QueueSpec.durable(queue));
      List<Delivery> got = new CopyOnWriteArrayList<>();
      t.consume(queue, 1, got::add);
      t.publish("", queue, message("kept"));
      await().atMost(WAIT).until(() -> got.size() == 1);
      String exchange = "chervil.test.fanout." + UUID.randomUUID();
      t.declareExchange(ExchangeSpec.of(exchange, ExchangeSpec.Type.FANOUT));
      t.bind(queue + ".fan", exchange, "");
      List<Delivery> fanned = new CopyOnWriteArrayList<>();
      FanoutConsumer fan = (FanoutConsumer) t.consumeNoAck(queue + ".fan", fanned::add);
      await().atMost(WAIT).until(fan::subscribed);

      // Every client but this one: the consumer's blocked BRPOP and the pool's connections.
      redis.clientKill(
          ClientKillParams.clientKillParams()
              .type(ClientType.NORMAL)
              .skipMe(ClientKillParams.SkipMe.YES));

      t.publish("", queue, message("next"));
      assertFalse(got.getFirst().isStale()); // the server kept its ledger entry
      got.getFirst().ack();
      await().atMost(WAIT).until(() -> got.size() == 2);
      assertEquals("next", body(got.get(1)));
      got.get(1).ack();
      assertEquals(0, redis.hlen("unacked"));
      // The fanout subscriber came back too (what was published while it was away is gone).
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                t.publish(exchange, "", message("fan"));
                return !fanned.isEmpty();
              });
      assertEquals("fan", body(fanned.getFirst()));
    }
  }

  @Test
  void closeEndsAConsumerThatCannotReachItsServer() throws Exception {
    assumeTrue(OwnRedisServer.available(), "redis-server is not installed");
    Set<Thread> baseline = Thread.getAllStackTraces().keySet();
    OwnRedisServer server = new OwnRedisServer().start();
    Transport t = new RedisTransport(server.url(0));
    t.start();
    t.declareQueue(QueueSpec.durable(queue));
    t.consume(queue, 1, d -> {});
    server.kill(); // the consumer now retries with backoff, forever

    t.close();

    await()
        .pollInSameThread()
        .atMost(WAIT)
        .until(
            () ->
                Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(th -> !baseline.contains(th) && th.isAlive()));
  }

  private Transport track(Transport t) {
    transports.add(t);
    t.start();
    return t;
  }

  private static WireMessage withPriority(String body, int priority) {
    MessageProperties p =
        new MessageProperties(
            MessageProperties.JSON, MessageProperties.UTF_8, body, null, 2, priority, null);
    return new WireMessage(p, Map.of(), body.getBytes(StandardCharsets.UTF_8));
  }
}
