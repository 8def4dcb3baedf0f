package dev.chervil.broker;

import dev.chervil.protocol.WireMessage;

/**
 * One message handed to a consumer. It must be settled exactly once, by {@link #ack()} or {@link
 * #reject(boolean)}; a second settlement is ignored (and logged) rather than sent, because a double
 * ack closes an AMQP channel.
 */
public interface Delivery {
  WireMessage message();

  String queue();

  boolean redelivered();

  void ack();

  /** Rejects; with {@code requeue} false the broker drops or dead-letters it. */
  void reject(boolean requeue);

  /**
   * True once the channel or connection this delivery arrived on has gone: the broker will (or did)
   * deliver it again, so a buffered copy must be dropped, not run, and settling it is a logged
   * no-op.
   */
  default boolean isStale() {
    return false;
  }
}
