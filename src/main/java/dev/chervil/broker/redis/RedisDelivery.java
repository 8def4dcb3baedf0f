package dev.chervil.broker.redis;

import dev.chervil.broker.Delivery;
import dev.chervil.protocol.WireMessage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A message taken from a Redis list or channel. Settles through the consumer it came from; a second
 * settlement, or one after the delivery went stale, is a logged no-op.
 */
final class RedisDelivery implements Delivery {
  private static final Logger log = LoggerFactory.getLogger(RedisDelivery.class);

  /**
   * Settles on the broker (nothing for a stale delivery but freeing its prefetch slot); a null
   * settler means no-ack.
   */
  interface Settler {
    void settle(RedisDelivery delivery, boolean ack, boolean requeue);
  }

  private final KombuEnvelope envelope;
  private final String queue;
  private final Settler settler;
  private final AtomicBoolean settled = new AtomicBoolean();
  private volatile boolean stale;

  RedisDelivery(KombuEnvelope envelope, String queue, Settler settler) {
    this.envelope = envelope;
    this.queue = queue;
    this.settler = settler;
  }

  KombuEnvelope envelope() {
    return envelope;
  }

  String tag() {
    return envelope.deliveryTag();
  }

  boolean settled() {
    return settled.get();
  }

  void markStale() {
    stale = true;
  }

  @Override
  public WireMessage message() {
    return envelope.message();
  }

  @Override
  public String queue() {
    return queue;
  }

  @Override
  public boolean redelivered() {
    return envelope.redelivered();
  }

  @Override
  public boolean isStale() {
    return stale;
  }

  @Override
  public void ack() {
    settle(true, false);
  }

  @Override
  public void reject(boolean requeue) {
    settle(false, requeue);
  }

  private void settle(boolean ack, boolean requeue) {
    if (!settled.compareAndSet(false, true)) {
      log.warn(
          "event=redis-settle-ignored reason=already-settled queue={} delivery_tag={} task_id={}",
          queue,
          tag(),
          taskId());
      return;
    }
    if (stale) {
      // Its unacked entry is gone: another consumer has it (or will). Only free the slot.
      log.warn(
          "event=redis-settle-ignored reason=stale queue={} delivery_tag={} task_id={}",
          queue,
          tag(),
          taskId());
    }
    if (settler != null) {
      settler.settle(this, ack, requeue);
    }
  }

  Object taskId() {
    return envelope.message().headers().get("id");
  }
}
