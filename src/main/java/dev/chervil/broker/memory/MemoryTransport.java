package dev.chervil.broker.memory;

import dev.chervil.broker.BrokerUrl;
import dev.chervil.broker.DeliveryHandler;
import dev.chervil.broker.ExchangeSpec;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Subscription;
import dev.chervil.broker.Transport;
import dev.chervil.broker.TransportException;
import dev.chervil.protocol.WireMessage;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Transport} on an in-process {@link MemoryBroker}, the embedded default. One client of the
 * broker: its subscriptions and reply queues end with {@link #close()}; the broker and its other
 * queues live on for the other transports connected to it.
 */
public final class MemoryTransport implements Transport {
  private static final Logger log = LoggerFactory.getLogger(MemoryTransport.class);

  private enum State {
    NEW,
    STARTED,
    CLOSED
  }

  private final MemoryBroker broker;
  private final Set<MemorySubscription> subscriptions = ConcurrentHashMap.newKeySet();
  private final Set<String> replyQueues = ConcurrentHashMap.newKeySet();
  private volatile State state = State.NEW;

  /** A client of the JVM's default broker ({@code memory://}). */
  public MemoryTransport() {
    this(MemoryBroker.shared());
  }

  public MemoryTransport(MemoryBroker broker) {
    this.broker = broker;
  }

  /** A client of the broker {@code memory://name} names; see {@link BrokerUrl}. */
  public static MemoryTransport fromUrl(String url) {
    if (!(BrokerUrl.parse(url) instanceof BrokerUrl.Memory memory)) {
      throw new IllegalArgumentException("not a memory:// URL: " + BrokerUrl.parse(url));
    }
    return new MemoryTransport(MemoryBroker.named(memory.name()));
  }

  public MemoryBroker broker() {
    return broker;
  }

  @Override
  public synchronized void start() {
    if (state == State.CLOSED) {
      throw new IllegalStateException(
          "memory transport to broker '" + broker.name() + "' is closed");
    }
    state = State.STARTED;
  }

  @Override
  public void declareQueue(QueueSpec queue) {
    requireStarted();
    broker.declareQueue(queue);
  }

  @Override
  public void publish(String exchange, String routingKey, WireMessage message) {
    requireStarted();
    broker.publish(exchange, routingKey, message);
  }

  @Override
  public Subscription consume(String queue, int prefetch, DeliveryHandler handler) {
    requireStarted();
    MemoryQueue q = broker.queue(queue);
    if (q == null) {
      // The AMQP transport fails the same way (404 NOT_FOUND).
      throw new TransportException("cannot consume queue '" + queue + "': no such queue");
    }
    MemorySubscription sub = new MemorySubscription(q, prefetch, handler, subscriptions::remove);
    subscriptions.add(sub);
    sub.start();
    return sub;
  }

  @Override
  public String declareReplyQueue() {
    requireStarted();
    String name = "chervil.reply." + UUID.randomUUID();
    broker.declareBareQueue(name);
    replyQueues.add(name);
    return name;
  }

  @Override
  public void declareExchange(ExchangeSpec exchange) {
    requireStarted();
    broker.declareExchange(exchange.name(), exchange.type().name());
  }

  @Override
  public void bind(String queue, String exchange, String routingKey) {
    requireStarted();
    broker.bind(queue, exchange, routingKey);
  }

  /** Acks each delivery before the handler sees it, so the handler's own settling is a no-op. */
  @Override
  public Subscription consumeNoAck(String queue, DeliveryHandler handler) {
    return consume(
        queue,
        0,
        delivery -> {
          delivery.ack();
          handler.handle(delivery); // a second ack or a reject is ignored by MemoryDelivery
        });
  }

  @Override
  public boolean supportsDeadLettering() {
    return true;
  }

  /** Closes the subscriptions (requeueing unsettled messages) and deletes the reply queues. */
  @Override
  public void close() {
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
      state = State.CLOSED;
    }
    List.copyOf(subscriptions).forEach(MemorySubscription::close);
    replyQueues.forEach(broker::deleteQueue);
    replyQueues.clear();
    log.info("event=closed broker=memory://{}", broker.name());
  }

  @Override
  public String toString() {
    return "memory://" + broker.name();
  }

  private void requireStarted() {
    if (state != State.STARTED) {
      throw new IllegalStateException(
          "memory transport is " + state.name().toLowerCase() + ", not started");
    }
  }
}
