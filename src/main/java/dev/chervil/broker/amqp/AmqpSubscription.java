package dev.chervil.broker.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownSignalException;
import dev.chervil.broker.DeliveryHandler;
import dev.chervil.broker.Subscription;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumer on a channel of its own, with manual acknowledgement.
 *
 * <p><b>Prefetch is set with {@code global=true}.</b> RabbitMQ reinterprets basic.qos: with {@code
 * global=false} the limit applies to consumers started <em>afterwards</em> on the channel, so
 * changing it does nothing to a running consumer (verified against RabbitMQ 3.10 in {@code
 * RabbitMqQosSemanticsTest}); with {@code global=true} it is a channel-wide limit that RabbitMQ
 * applies to existing consumers at once. With one consumer per channel the two limits mean the same
 * thing, so the channel-wide one is used and {@link #prefetch(int)} works live. Celery does the
 * same ({@code qos_semantics_matches_spec} is false on RabbitMQ). Quorum queues do not support
 * global QoS; Chervil declares classic queues.
 *
 * <p><b>Stale delivery tags.</b> Delivery tags belong to a channel. After a reconnect amqp-client
 * replaces the channel underneath; {@code generation} counts those replacements, and a settlement
 * for a delivery of an earlier generation (or while the channel is down) is logged and skipped: the
 * broker has already requeued that message.
 */
final class AmqpSubscription implements Subscription {
  private static final Logger log = LoggerFactory.getLogger(AmqpSubscription.class);
  private static final int MAX_PREFETCH = 65_535; // basic.qos prefetch-count is a short

  private final String queue;
  private final Channel channel;
  private final DeliveryHandler handler;
  private final Consumer<AmqpSubscription> onClose;
  private final AtomicBoolean closed = new AtomicBoolean();
  private boolean cancelled; // guarded by this
  // Written only by amqp-client's recovery thread (one at a time), read by any settling thread.
  private volatile long generation;
  private volatile int prefetch;
  private volatile String consumerTag;

  private AmqpSubscription(
      String queue, Channel channel, DeliveryHandler handler, Consumer<AmqpSubscription> onClose) {
    this.queue = queue;
    this.channel = channel;
    this.handler = handler;
    this.onClose = onClose;
  }

  static AmqpSubscription start(
      Connection connection,
      String queue,
      int prefetch,
      DeliveryHandler handler,
      Consumer<AmqpSubscription> onClose) {
    checkPrefetch(prefetch);
    Channel channel;
    try {
      channel = connection.createChannel();
    } catch (IOException | ShutdownSignalException e) {
      throw AmqpTopology.translate("open a channel to consume queue '" + queue + "'", e);
    }
    AmqpSubscription sub = new AmqpSubscription(queue, channel, handler, onClose);
    try {
      sub.listenForRecovery();
      channel.basicQos(prefetch, true);
      sub.prefetch = prefetch;
      sub.consumerTag = channel.basicConsume(queue, false, sub.new Receiver());
    } catch (IOException | ShutdownSignalException e) {
      sub.closeChannel();
      throw AmqpTopology.translate("consume queue '" + queue + "'", e);
    }
    log.info(
        "event=consumer-started queue={} consumerTag={} prefetch={}",
        queue,
        sub.consumerTag,
        prefetch);
    return sub;
  }

  String queue() {
    return queue;
  }

  @Override
  public synchronized void prefetch(int count) {
    checkPrefetch(count);
    if (closed.get()) {
      throw new IllegalStateException("subscription to queue '" + queue + "' is closed");
    }
    try {
      channel.basicQos(count, true);
    } catch (IOException | ShutdownSignalException e) {
      throw AmqpTopology.translate("change prefetch of queue '" + queue + "' to " + count, e);
    }
    log.info("event=prefetch-changed queue={} from={} to={}", queue, prefetch, count);
    prefetch = count;
  }

  @Override
  public int prefetch() {
    return prefetch;
  }

  /** Sends the ack/reject unless the channel that carried the delivery is gone. */
  synchronized void settle(AmqpDelivery delivery, boolean ack, boolean requeue) {
    String action = ack ? "ack" : requeue ? "reject-requeue" : "reject";
    if (delivery.channelGeneration() != generation || !channel.isOpen()) {
      log.warn(
          "event=settle-skipped reason=channel-gone action={} queue={} deliveryTag={} correlationId={}",
          action,
          queue,
          delivery.deliveryTag(),
          delivery.correlationId());
      return;
    }
    try {
      if (ack) {
        channel.basicAck(delivery.deliveryTag(), false);
      } else {
        channel.basicReject(delivery.deliveryTag(), requeue);
      }
    } catch (IOException | ShutdownSignalException e) {
      log.warn(
          "event=settle-failed action={} queue={} deliveryTag={} correlationId={} reason=\"{}\"",
          action,
          queue,
          delivery.deliveryTag(),
          delivery.correlationId(),
          e.toString());
    }
  }

  /** Cancels the consumer but keeps its channel, so unsettled deliveries can still be acked. */
  @Override
  public synchronized void cancel() {
    if (cancelled || closed.get()) {
      return;
    }
    cancelled = true; // a second basic.cancel of the same tag would be a channel error
    if (channel.isOpen() && consumerTag != null) {
      try {
        channel.basicCancel(consumerTag);
      } catch (IOException | ShutdownSignalException e) {
        log.debug("event=consumer-cancel-failed queue={} reason=\"{}\"", queue, e.toString());
      }
    }
    log.info("event=consumer-cancelled queue={} consumerTag={}", queue, consumerTag);
  }

  /** Cancels the consumer and closes its channel, which makes RabbitMQ requeue unsettled ones. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    synchronized (this) {
      if (!cancelled && channel.isOpen() && consumerTag != null) {
        try {
          channel.basicCancel(consumerTag);
        } catch (IOException | ShutdownSignalException e) {
          log.debug("event=consumer-cancel-failed queue={} reason=\"{}\"", queue, e.toString());
        }
      }
      cancelled = true;
      closeChannel();
    }
    log.info("event=consumer-stopped queue={} consumerTag={}", queue, consumerTag);
    onClose.accept(this);
  }

  private void listenForRecovery() {
    if (channel instanceof Recoverable recoverable) {
      recoverable.addRecoveryListener(
          new RecoveryListener() {
            @Override
            public void handleRecovery(Recoverable r) {
              generation++;
              log.info(
                  "event=channel-recovered queue={} generation={} prefetch={}",
                  queue,
                  generation,
                  prefetch);
            }

            @Override
            public void handleRecoveryStarted(Recoverable r) {}
          });
    }
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

  private static void checkPrefetch(int count) {
    if (count < 0 || count > MAX_PREFETCH) {
      throw new IllegalArgumentException(
          "prefetch must be between 0 (unlimited) and " + MAX_PREFETCH + ", was " + count);
    }
  }

  /** Runs on the transport's consumer pool, one delivery at a time per channel. */
  private final class Receiver extends DefaultConsumer {
    Receiver() {
      super(channel);
    }

    @Override
    public void handleDelivery(
        String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
      AmqpDelivery delivery =
          new AmqpDelivery(
              AmqpSubscription.this,
              envelope.getDeliveryTag(),
              generation,
              AmqpProperties.fromAmqp(properties, body),
              envelope.isRedeliver());
      try {
        handler.handle(delivery);
      } catch (RuntimeException e) {
        // Left unsettled on purpose: the handler owns the decision; the message comes back to the
        // queue when the subscription closes.
        log.error(
            "event=handler-failed queue={} deliveryTag={} correlationId={}",
            queue,
            envelope.getDeliveryTag(),
            delivery.correlationId(),
            e);
      }
    }

    @Override
    public void handleCancel(String tag) {
      log.warn("event=consumer-cancelled-by-broker queue={} consumerTag={}", queue, tag);
    }
  }
}
