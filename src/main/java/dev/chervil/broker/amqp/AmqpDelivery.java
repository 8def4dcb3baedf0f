package dev.chervil.broker.amqp;

import dev.chervil.broker.Delivery;
import dev.chervil.protocol.WireMessage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One AMQP delivery. Settling is exactly-once and safe from any thread: the first {@link #ack()} or
 * {@link #reject(boolean)} wins, later calls are logged and dropped, since RabbitMQ answers a
 * second ack of the same tag by closing the channel (PRECONDITION_FAILED - unknown delivery tag).
 */
final class AmqpDelivery implements Delivery {
  private static final Logger log = LoggerFactory.getLogger(AmqpDelivery.class);

  private final AmqpSubscription subscription;
  private final long deliveryTag;
  private final long channelGeneration;
  private final WireMessage message;
  private final boolean redelivered;
  private final AtomicBoolean settled = new AtomicBoolean();

  AmqpDelivery(
      AmqpSubscription subscription,
      long deliveryTag,
      long channelGeneration,
      WireMessage message,
      boolean redelivered) {
    this.subscription = subscription;
    this.deliveryTag = deliveryTag;
    this.channelGeneration = channelGeneration;
    this.message = message;
    this.redelivered = redelivered;
  }

  @Override
  public WireMessage message() {
    return message;
  }

  @Override
  public String queue() {
    return subscription.queue();
  }

  @Override
  public boolean redelivered() {
    return redelivered;
  }

  @Override
  public void ack() {
    if (firstSettlement("ack")) {
      subscription.settle(this, true, false);
    }
  }

  @Override
  public void reject(boolean requeue) {
    if (firstSettlement(requeue ? "reject-requeue" : "reject")) {
      subscription.settle(this, false, requeue);
    }
  }

  long deliveryTag() {
    return deliveryTag;
  }

  long channelGeneration() {
    return channelGeneration;
  }

  String correlationId() {
    return message.properties() == null ? null : message.properties().correlationId();
  }

  private boolean firstSettlement(String action) {
    if (settled.compareAndSet(false, true)) {
      return true;
    }
    log.warn(
        "event=settle-ignored reason=already-settled action={} queue={} deliveryTag={} correlationId={}",
        action,
        queue(),
        deliveryTag,
        correlationId());
    return false;
  }
}
