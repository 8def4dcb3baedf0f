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
  private final AmqpSubscription.Receiver receiver;
  private final long deliveryTag;
  private final WireMessage message;
  private final boolean redelivered;
  private final AtomicBoolean settled = new AtomicBoolean();

  AmqpDelivery(
      AmqpSubscription subscription,
      AmqpSubscription.Receiver receiver,
      long deliveryTag,
      WireMessage message,
      boolean redelivered) {
    this.subscription = subscription;
    this.receiver = receiver;
    this.deliveryTag = deliveryTag;
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

  /** True once the channel it arrived on has closed: settling is then a logged no-op. */
  @Override
  public boolean isStale() {
    return subscription.isStale(this);
  }

  /** The handler failed before settling: reject without requeue, silently if already settled. */
  void rejectIfUnsettled() {
    if (settled.compareAndSet(false, true)) {
      subscription.settle(this, false, false);
    }
  }

  long deliveryTag() {
    return deliveryTag;
  }

  AmqpSubscription.Receiver receiver() {
    return receiver;
  }

  /**
   * The task id: protocol 2's {@code id} header, else the correlation id (protocol 1 / replies).
   */
  String taskId() {
    Object id = message.headers().get("id");
    if (id != null) {
      return id.toString();
    }
    return message.properties() == null ? null : message.properties().correlationId();
  }

  private boolean firstSettlement(String action) {
    if (settled.compareAndSet(false, true)) {
      return true;
    }
    log.warn(
        "event=settle-ignored reason=already-settled action={} queue={} deliveryTag={} taskId={}",
        action,
        queue(),
        deliveryTag,
        taskId());
    return false;
  }
}
