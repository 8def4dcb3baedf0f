package dev.chervil.broker.redis;

import dev.chervil.broker.BrokerUrl;
import dev.chervil.broker.DeliveryHandler;
import dev.chervil.broker.ExchangeSpec;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Subscription;
import dev.chervil.broker.Transport;
import dev.chervil.broker.TransportException;
import dev.chervil.protocol.WireMessage;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisException;

/**
 * kombu's Redis transport, wire for wire (see {@link KombuKeys}, {@link KombuEnvelope}, {@link
 * UnackedLedger}), so a Python Celery 5.2 app on {@code redis://} and Chervil share queues,
 * bindings, fanout channels and the unacked ledger.
 *
 * <p>Guarantees are kombu's: at-least-once through the ledger and {@code visibility_timeout}; no
 * dead-lettering (a message rejected without requeue is dropped and logged); fanout is
 * at-most-once. Better than kombu: every delivery this transport holds is re-scored in {@code
 * unacked_index} each {@link RedisOptions#refreshInterval()}, so an ETA or long task that outlives
 * the visibility timeout is not restored and run a second time.
 *
 * <p>Connections: a pool for publishes, settlements and housekeeping; one connection per consumer
 * (BRPOP and PSUBSCRIBE block it). One {@link LedgerHousekeeper} thread refreshes and restores.
 */
public final class RedisTransport implements Transport {
  private static final Logger log = LoggerFactory.getLogger(RedisTransport.class);

  private enum State {
    NEW,
    STARTED,
    CLOSED
  }

  private static final String CELERY_EVENT_EXCHANGE = "celeryev";

  private final BrokerUrl.Redis url;
  private final RedisOptions options;
  private final KombuRouting routing = new KombuRouting();
  private final UnackedLedger ledger = new UnackedLedger(routing);
  private final Set<String> declaredQueues = ConcurrentHashMap.newKeySet();
  private final Set<String> autoDeleteQueues = ConcurrentHashMap.newKeySet();
  private final Map<String, String> fanoutTopics = new ConcurrentHashMap<>();
  private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
  private volatile State state = State.NEW;
  private JedisPool pool;
  private JedisClientConfig clientConfig;
  private LedgerHousekeeper housekeeper;
  private ExecutorService publishers;

  public RedisTransport(BrokerUrl.Redis url, RedisOptions options) {
    this.url = url;
    this.options = options;
  }

  /** Options from the URL: its {@code visibility_timeout}, else kombu's default. */
  public RedisTransport(BrokerUrl.Redis url) {
    this(
        url,
        url.visibilityTimeout() == null
            ? RedisOptions.defaults()
            : RedisOptions.withVisibilityTimeout(url.visibilityTimeout()));
  }

  /** The URL without its password: remote control's {@code stats} reports it. */
  @Override
  public String toString() {
    return "redis://" + url.host() + ":" + url.port() + "/" + url.database();
  }

  public RedisTransport(String url) {
    this(redisUrl(url));
  }

  private static BrokerUrl.Redis redisUrl(String url) {
    if (!(BrokerUrl.parse(url) instanceof BrokerUrl.Redis redis)) {
      throw new IllegalArgumentException("not a redis:// URL: " + BrokerUrl.parse(url));
    }
    return redis;
  }

  public RedisOptions options() {
    return options;
  }

  @Override
  public synchronized void start() {
    switch (state) {
      case STARTED -> {
        return;
      }
      case CLOSED -> throw new IllegalStateException("redis transport " + url + " is closed");
      case NEW -> {}
    }
    clientConfig =
        DefaultJedisClientConfig.builder()
            .user(url.username())
            .password(url.password())
            .database(url.database())
            .clientName("chervil")
            .timeoutMillis(10_000)
            .build();
    GenericObjectPoolConfig<Jedis> config = new GenericObjectPoolConfig<>();
    config.setMaxTotal(32);
    config.setMaxIdle(8);
    config.setTestOnBorrow(false);
    config.setJmxEnabled(false);
    config.setMaxWait(java.time.Duration.ofSeconds(10)); // fail a publish rather than hang
    pool = new JedisPool(config, new HostAndPort(url.host(), url.port()), clientConfig);
    try (Jedis redis = pool.getResource()) {
      redis.ping();
    } catch (JedisException e) {
      pool.close();
      state = State.CLOSED;
      throw new TransportException("redis: cannot connect to " + url, e);
    }
    housekeeper = new LedgerHousekeeper(pool, ledger, options);
    housekeeper.start();
    publishers =
        Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("chervil-redis-publish-", 0).factory());
    state = State.STARTED;
    log.info(
        "event=redis-transport-started url={} visibility_timeout_s={} refresh_ms={}",
        url,
        options.visibilityTimeout().toSeconds(),
        options.refreshInterval().toMillis());
  }

  /**
   * Like kombu's {@code queue_declare} + bind to the exchange of the same name: the binding {@code
   * name\x06\x16\x06\x16name} in {@code _kombu.binding.<name>}. Redis has no queue objects; the
   * list appears with its first message. Queue arguments have no meaning on Redis and are ignored,
   * as kombu does; a dead-letter exchange cannot be honoured, so it is refused.
   */
  @Override
  public void declareQueue(QueueSpec queue) {
    requireStarted();
    if (queue.deadLetterExchange() != null) {
      throw new TransportException(
          "redis: queue '"
              + queue.name()
              + "' cannot have x-dead-letter-exchange '"
              + queue.deadLetterExchange()
              + "': kombu's Redis transport has no dead-lettering (rejected messages are dropped)");
    }
    routing.declare(ExchangeSpec.of(queue.name(), ExchangeSpec.Type.DIRECT));
    run(
        "declare queue '" + queue.name() + "'",
        r ->
            r.sadd(
                KombuKeys.bindings(queue.name()),
                KombuKeys.bindingMember(queue.name(), "", queue.name())));
    declaredQueues.add(queue.name());
    if (queue.autoDelete() || queue.exclusive()) {
      autoDeleteQueues.add(queue.name());
    }
  }

  /**
   * Exchanges exist only in the declaring process (as in kombu): this records the type. Celery's
   * event exchange {@code celeryev} is a topic exchange everywhere but on Redis, where Celery
   * declares it fanout ({@code celery.events.event.get_exchange}) so events go over PUB/SUB with
   * the routing key in the channel name; Chervil does the same, or Python's event receivers would
   * never see Chervil's events.
   */
  @Override
  public void declareExchange(ExchangeSpec exchange) {
    requireStarted();
    if (exchange.name().equals(CELERY_EVENT_EXCHANGE)
        && exchange.type() == ExchangeSpec.Type.TOPIC) {
      exchange =
          new ExchangeSpec(
              exchange.name(), ExchangeSpec.Type.FANOUT, exchange.durable(), exchange.autoDelete());
    }
    routing.declare(exchange);
  }

  @Override
  public void bind(String queue, String exchange, String routingKey) {
    requireStarted();
    String key = routingKey == null ? "" : routingKey;
    if (routing.typeOf(exchange) == ExchangeSpec.Type.FANOUT) {
      fanoutTopics.put(
          queue, KombuKeys.fanoutTopic(url.database(), exchange, key.replace('#', '*')));
    }
    run(
        "bind '" + queue + "' to '" + exchange + "'",
        r -> r.sadd(KombuKeys.bindings(exchange), routing.bindingMember(exchange, key, queue)));
    declaredQueues.add(queue);
  }

  @Override
  public void publish(String exchange, String routingKey, WireMessage message) {
    requireStarted();
    String ex = exchange == null ? "" : exchange;
    String envelope = KombuEnvelope.encode(ex, routingKey, message, System.currentTimeMillis());
    run(
        "publish to '" + ex + "' with routing key '" + routingKey + "'",
        r -> {
          if (routing.typeOf(ex) == ExchangeSpec.Type.FANOUT) {
            r.publish(KombuKeys.fanoutTopic(url.database(), ex, routingKey), envelope);
            return null;
          }
          List<String> queues = routing.lookup(r, ex, routingKey);
          if (queues.isEmpty()) {
            log.warn("event=redis-unroutable exchange={} routing_key={}", ex, routingKey);
          }
          for (String queue : queues) {
            r.lpush(KombuKeys.listFor(queue, message.properties().priority()), envelope);
          }
          return null;
        });
  }

  @Override
  public CompletableFuture<Void> publishAsync(
      String exchange, String routingKey, WireMessage message) {
    requireStarted();
    try {
      return CompletableFuture.runAsync(() -> publish(exchange, routingKey, message), publishers);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("redis transport " + url + " is closed", e));
    }
  }

  @Override
  public Subscription consume(String queue, int prefetch, DeliveryHandler handler) {
    requireStarted();
    requireKnown(queue);
    ListConsumer consumer =
        new ListConsumer(queue, prefetch, true, handler, pool, this::connect, ledger);
    housekeeper.watch(consumer);
    return started(consumer);
  }

  @Override
  public Subscription consumeNoAck(String queue, DeliveryHandler handler) {
    requireStarted();
    String topic = fanoutTopics.get(queue);
    if (topic != null) {
      FanoutConsumer consumer = new FanoutConsumer(queue, topic, handler, this::connect);
      subscriptions.add(consumer);
      consumer.start();
      return consumer;
    }
    requireKnown(queue);
    return started(new ListConsumer(queue, 0, false, handler, pool, this::connect, ledger));
  }

  private Subscription started(ListConsumer consumer) {
    subscriptions.add(consumer);
    consumer.start();
    return consumer;
  }

  /** A reply queue is a list no binding names; it is deleted when this transport closes. */
  @Override
  public String declareReplyQueue() {
    requireStarted();
    String name = UUID.randomUUID().toString();
    declaredQueues.add(name);
    autoDeleteQueues.add(name);
    return name;
  }

  @Override
  public boolean supportsDeadLettering() {
    return false;
  }

  @Override
  public void close() {
    synchronized (this) {
      if (state != State.STARTED) {
        state = State.CLOSED;
        return;
      }
      state = State.CLOSED;
    }
    housekeeper.close();
    subscriptions.forEach(Subscription::close);
    publishers.shutdown();
    try {
      publishers.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Jedis redis = pool.getResource()) {
      for (String queue : autoDeleteQueues) {
        redis.del(KombuKeys.listsOf(queue));
        redis.srem(KombuKeys.bindings(queue), KombuKeys.bindingMember(queue, "", queue));
      }
    } catch (JedisException e) {
      log.warn("event=redis-auto-delete-failed queues={} error={}", autoDeleteQueues, e.toString());
    }
    pool.close();
    log.info("event=redis-transport-closed url={}", url);
  }

  private Jedis connect() {
    Jedis jedis = new Jedis(new HostAndPort(url.host(), url.port()), clientConfig);
    jedis.ping();
    return jedis;
  }

  private void requireKnown(String queue) {
    if (declaredQueues.contains(queue)) {
      return;
    }
    boolean exists =
        run(
            "look up queue '" + queue + "'",
            r -> r.exists(KombuKeys.bindings(queue)) || r.exists(KombuKeys.listsOf(queue)) > 0);
    if (!exists) {
      throw new TransportException(
          "redis: queue '" + queue + "' is not declared (no binding and no messages) on " + url);
    }
  }

  private void requireStarted() {
    if (state != State.STARTED) {
      throw new IllegalStateException(
          "redis transport " + url + " is " + state.name().toLowerCase());
    }
  }

  private <T> T run(String what, java.util.function.Function<Jedis, T> op) {
    JedisException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      try (Jedis redis = pool.getResource()) {
        return op.apply(redis);
      } catch (redis.clients.jedis.exceptions.JedisConnectionException e) {
        last = e;
        sleep(100L << attempt);
      } catch (JedisException e) {
        throw new TransportException("redis: " + what + " failed on " + url, e);
      }
    }
    throw new TransportException("redis: " + what + " failed on " + url, last);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
