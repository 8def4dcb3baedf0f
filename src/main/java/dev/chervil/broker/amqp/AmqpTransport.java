package dev.chervil.broker.amqp;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.impl.recovery.RecordedBinding;
import com.rabbitmq.client.impl.recovery.RecordedConsumer;
import com.rabbitmq.client.impl.recovery.RecordedExchange;
import com.rabbitmq.client.impl.recovery.RecordedQueue;
import com.rabbitmq.client.impl.recovery.TopologyRecoveryFilter;
import dev.chervil.broker.BrokerUrl;
import dev.chervil.broker.DeliveryHandler;
import dev.chervil.broker.ExchangeSpec;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Subscription;
import dev.chervil.broker.Transport;
import dev.chervil.broker.TransportException;
import dev.chervil.protocol.WireMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Transport} on RabbitMQ through amqp-client.
 *
 * <p>One connection with automatic recovery: after a broker restart or a dropped connection it
 * reconnects every {@link AmqpOptions#recoveryInterval()}, redeclares what this transport declared
 * ({@link AmqpTopology}) and lets amqp-client re-register every consumer with its prefetch.
 * Publishing uses a dedicated channel with asynchronous confirms ({@link AmqpPublisher}); each
 * subscription has its own channel ({@link AmqpSubscription}). All threads amqp-client starts
 * belong to {@link AmqpThreads} and are gone after {@link #close()}.
 */
public final class AmqpTransport implements Transport {
  private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);

  private enum State {
    NEW,
    STARTED,
    CLOSED
  }

  private final BrokerUrl.Amqp url;
  private final AmqpOptions options;
  private final Set<AmqpSubscription> subscriptions = ConcurrentHashMap.newKeySet();
  private final Set<AmqpNoAckSubscription> noAckSubscriptions = ConcurrentHashMap.newKeySet();
  private State state = State.NEW; // guarded by this
  private AmqpThreads threads;
  private Connection connection;
  private AmqpTopology topology;
  private AmqpPublisher publisher;

  public AmqpTransport(BrokerUrl.Amqp url, AmqpOptions options) {
    this.url = url;
    this.options = options;
  }

  public AmqpTransport(BrokerUrl.Amqp url) {
    this(url, AmqpOptions.defaults());
  }

  /** A transport for {@code amqp://user:pass@host:port/vhost}; see {@link BrokerUrl}. */
  public static AmqpTransport fromUrl(String url) {
    if (!(BrokerUrl.parse(url) instanceof BrokerUrl.Amqp amqp)) {
      throw new IllegalArgumentException("not an amqp:// URL: " + BrokerUrl.parse(url));
    }
    return new AmqpTransport(amqp);
  }

  @Override
  public synchronized void start() {
    switch (state) {
      case STARTED -> {
        return;
      }
      case CLOSED -> throw new IllegalStateException("transport to " + url + " is closed");
      case NEW -> {}
    }
    AmqpThreads owned =
        new AmqpThreads("chervil-amqp-" + options.connectionName(), options.consumerThreads());
    try {
      connection = factory(owned).newConnection(owned.consumerPool(), options.connectionName());
    } catch (IOException | TimeoutException e) {
      owned.shutdown(1000);
      throw new TransportException("cannot connect to " + url + ": " + e, e);
    }
    threads = owned;
    topology = new AmqpTopology(connection);
    publisher = new AmqpPublisher(connection, options.confirmTimeout(), owned.keeper());
    watchConnection();
    state = State.STARTED;
    log.info("event=connected broker={} connection={}", url, options.connectionName());
  }

  @Override
  public void declareQueue(QueueSpec queue) {
    started().declare(queue);
  }

  @Override
  public void publish(String exchange, String routingKey, WireMessage message) {
    AmqpPublisher p;
    synchronized (this) {
      started();
      p = publisher;
    }
    p.publish(exchange, routingKey, message);
  }

  /**
   * Publishes without waiting for the confirm; the future fails (logged with the task id) on a
   * nack, after {@link AmqpOptions#confirmTimeout()} or when the channel is lost. Many may be
   * outstanding at once. Dependent stages that block must be attached asynchronously: the future
   * completes on amqp-client's connection thread.
   */
  @Override
  public CompletableFuture<Void> publishAsync(
      String exchange, String routingKey, WireMessage message) {
    AmqpPublisher p;
    synchronized (this) {
      started();
      p = publisher;
    }
    return p.publishAsync(exchange, routingKey, message);
  }

  /**
   * Publishes {@code message} to arrive in the queue {@code routingKey} after {@code delay} (whole
   * seconds, at least 1), through Celery 5.5's native delayed-delivery topology ({@link
   * DelayedDelivery}, declared here with quorum queues as Celery 5.5 declares it) instead of
   * holding it unacked in a worker. Returns once the broker confirmed it into the delay levels.
   */
  @Override
  public boolean supportsDelayedDelivery() {
    return true;
  }

  @Override
  public void publishDelayed(Duration delay, String routingKey, WireMessage message) {
    String key = DelayedDelivery.routingKey(delay, routingKey);
    AmqpPublisher p;
    AmqpTopology t;
    synchronized (this) {
      t = started();
      p = publisher;
    }
    t.declareDelayed(routingKey, routingKey, "quorum");
    p.publish(DelayedDelivery.entryExchange(), key, message);
  }

  @Override
  public Subscription consume(String queue, int prefetch, DeliveryHandler handler) {
    Connection c;
    synchronized (this) {
      started();
      c = connection;
    }
    AmqpSubscription sub =
        AmqpSubscription.start(
            c, threads.keeper(), queue, prefetch, handler, subscriptions::remove);
    subscriptions.add(sub);
    return sub;
  }

  @Override
  public String declareReplyQueue() {
    return started().declareReplyQueue();
  }

  @Override
  public void declareExchange(ExchangeSpec exchange) {
    started().declareExchange(exchange);
  }

  @Override
  public void bind(String queue, String exchange, String routingKey) {
    started().bind(queue, exchange, routingKey);
  }

  @Override
  public Subscription consumeNoAck(String queue, DeliveryHandler handler) {
    Connection c;
    synchronized (this) {
      started();
      c = connection;
    }
    AmqpNoAckSubscription sub =
        AmqpNoAckSubscription.start(c, queue, handler, noAckSubscriptions::remove);
    noAckSubscriptions.add(sub);
    return sub;
  }

  @Override
  public boolean supportsDeadLettering() {
    return true;
  }

  /** Cancels consumers, closes channels and the connection, stops every thread; idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
      boolean wasStarted = state == State.STARTED;
      state = State.CLOSED;
      if (!wasStarted) {
        return;
      }
    }
    List.copyOf(subscriptions).forEach(AmqpSubscription::close);
    List.copyOf(noAckSubscriptions).forEach(AmqpNoAckSubscription::close);
    publisher.close();
    try {
      // Closing an auto-recovering connection also stops a recovery in progress.
      connection.close(5_000);
    } catch (IOException | RuntimeException e) {
      log.debug("event=connection-close-failed reason=\"{}\"", e.toString());
      connection.abort(1_000);
    }
    if (!threads.shutdown(5_000)) {
      log.warn("event=consumer-pool-stuck reason=\"a delivery handler did not return in 5s\"");
    }
    log.info("event=closed broker={}", url);
  }

  /** The broker URL without its password. */
  @Override
  public String toString() {
    return url.toString();
  }

  private AmqpTopology started() {
    synchronized (this) {
      if (state != State.STARTED) {
        throw new IllegalStateException(
            "transport to " + url + " is " + state.name().toLowerCase() + ", not started");
      }
      return topology;
    }
  }

  private ConnectionFactory factory(AmqpThreads owned) {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost(url.host());
    f.setPort(url.port());
    f.setUsername(url.username());
    f.setPassword(url.password());
    f.setVirtualHost(url.virtualHost());
    f.setRequestedHeartbeat((int) options.heartbeat().toSeconds());
    f.setAutomaticRecoveryEnabled(true);
    f.setTopologyRecoveryEnabled(true);
    f.setNetworkRecoveryInterval(options.recoveryInterval().toMillis());
    f.setThreadFactory(owned.factory());
    f.setTopologyRecoveryFilter(new ForeignConsumersOnly());
    return f;
  }

  private void watchConnection() {
    connection.addShutdownListener(
        cause -> {
          if (!cause.isInitiatedByApplication()) {
            // First the subscriptions, so no delivery of the dead connection starts after this.
            List.copyOf(subscriptions).forEach(s -> s.connectionLost(cause));
            log.warn("event=connection-lost broker={} reason=\"{}\"", url, cause.getMessage());
          }
        });
    ((Recoverable) connection)
        .addRecoveryListener(
            new RecoveryListener() {
              @Override
              public void handleRecoveryStarted(Recoverable recoverable) {
                log.info("event=connection-recovering broker={}", url);
              }

              @Override
              public void handleTopologyRecoveryStarted(Recoverable recoverable) {
                // Runs before amqp-client re-registers consumers, so their queues exist again
                // (an exclusive reply queue died with the old connection).
                topology.redeclareAll();
              }

              @Override
              public void handleRecovery(Recoverable recoverable) {
                log.info("event=connection-recovered broker={}", url);
                // amqp-client re-opened the channels; each subscription consumes again itself.
                subscriptions.forEach(AmqpSubscription::connectionRecovered);
              }
            });
  }

  /**
   * Leaves declarations to {@link AmqpTopology#redeclareAll()}: amqp-client would replay them on
   * the throwaway channels that made them, which are closed by then. Consumers of subscriptions are
   * left out too; other consumers amqp-client recovers as usual.
   */
  private static final class ForeignConsumersOnly implements TopologyRecoveryFilter {
    @Override
    public boolean filterExchange(RecordedExchange recordedExchange) {
      return false;
    }

    @Override
    public boolean filterQueue(RecordedQueue recordedQueue) {
      return false;
    }

    @Override
    public boolean filterBinding(RecordedBinding recordedBinding) {
      return false;
    }

    /** A subscription re-consumes itself ({@link AmqpSubscription#connectionRecovered()}). */
    @Override
    public boolean filterConsumer(RecordedConsumer recordedConsumer) {
      return !recordedConsumer.getConsumerTag().startsWith(AmqpSubscription.TAG_PREFIX);
    }
  }
}
