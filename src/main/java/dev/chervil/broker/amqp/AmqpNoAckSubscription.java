package dev.chervil.broker.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import dev.chervil.broker.Delivery;
import dev.chervil.broker.DeliveryHandler;
import dev.chervil.broker.Subscription;
import dev.chervil.protocol.WireMessage;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer with {@code autoAck}: the broker settles each message as it sends it, as kombu's
 * pidbox and event receivers consume ({@code no_ack=True}). No prefetch limit applies and there is
 * nothing to settle, so unlike {@link AmqpSubscription} this needs no delivery tags or generations;
 * amqp-client re-registers the consumer after a reconnect.
 */
final class AmqpNoAckSubscription implements Subscription {
  private static final Logger log = LoggerFactory.getLogger(AmqpNoAckSubscription.class);

  private final String queue;
  private final Channel channel;
  private final Consumer<AmqpNoAckSubscription> onClose;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile String consumerTag;
  private volatile boolean cancelled;

  private AmqpNoAckSubscription(
      String queue, Channel channel, Consumer<AmqpNoAckSubscription> onClose) {
    this.queue = queue;
    this.channel = channel;
    this.onClose = onClose;
  }

  static AmqpNoAckSubscription start(
      Connection connection,
      String queue,
      DeliveryHandler handler,
      Consumer<AmqpNoAckSubscription> onClose) {
    Channel channel;
    try {
      channel = connection.createChannel();
    } catch (IOException | ShutdownSignalException e) {
      throw AmqpTopology.translate("open a channel to consume queue '" + queue + "'", e);
    }
    AmqpNoAckSubscription sub = new AmqpNoAckSubscription(queue, channel, onClose);
    try {
      sub.consumerTag = channel.basicConsume(queue, true, sub.receiver(handler));
    } catch (IOException | ShutdownSignalException e) {
      sub.closeChannel();
      throw AmqpTopology.translate("consume queue '" + queue + "' (no ack)", e);
    }
    log.info("event=consumer-started queue={} consumerTag={} ack=none", queue, sub.consumerTag);
    return sub;
  }

  @Override
  public synchronized void cancel() {
    if (cancelled || closed.get()) {
      return;
    }
    cancelled = true;
    if (channel.isOpen() && consumerTag != null) {
      try {
        channel.basicCancel(consumerTag);
      } catch (IOException | ShutdownSignalException e) {
        log.debug("event=consumer-cancel-failed queue={} reason=\"{}\"", queue, e.toString());
      }
    }
  }

  /** Without acknowledgements the broker keeps no window: prefetch is meaningless here. */
  @Override
  public void prefetch(int count) {}

  @Override
  public int prefetch() {
    return 0;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closeChannel(); // closing the channel cancels its consumer
    log.info("event=consumer-stopped queue={} consumerTag={}", queue, consumerTag);
    onClose.accept(this);
  }

  private DefaultConsumer receiver(DeliveryHandler handler) {
    return new DefaultConsumer(channel) {
      @Override
      public void handleDelivery(
          String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        try {
          handler.handle(new Settled(queue, AmqpProperties.fromAmqp(properties, body)));
        } catch (RuntimeException e) {
          log.error("event=handler-failed queue={} ack=none", queue, e);
        }
      }
    };
  }

  private void closeChannel() {
    if (!channel.isOpen()) {
      return;
    }
    try {
      channel.close();
    } catch (IOException | TimeoutException | ShutdownSignalException e) {
      log.debug("event=channel-close-failed queue={} reason=\"{}\"", queue, e.toString());
    }
  }

  /** A delivery the broker already settled: ack and reject do nothing. */
  private record Settled(String queue, WireMessage message) implements Delivery {
    @Override
    public boolean redelivered() {
      return false;
    }

    @Override
    public void ack() {}

    @Override
    public void reject(boolean requeue) {}
  }
}
