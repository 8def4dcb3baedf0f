package dev.chervil.broker.memory;

import dev.chervil.protocol.WireMessage;

/**
 * A message sitting in a {@link MemoryQueue}.
 *
 * @param routingKey the key it was published with, kept for dead-lettering (as RabbitMQ does)
 * @param expiresAtNanos {@link dev.chervil.limits.Ticker} time after which it is expired, or {@link
 *     Long#MAX_VALUE} without an {@code expiration} property
 */
record QueuedMessage(
    WireMessage message, String routingKey, boolean redelivered, long expiresAtNanos) {

  static final long NEVER = Long.MAX_VALUE;

  QueuedMessage redelivery() {
    return new QueuedMessage(message, routingKey, true, expiresAtNanos);
  }

  boolean expiredAt(long nowNanos) {
    return expiresAtNanos != NEVER && nowNanos - expiresAtNanos > 0;
  }
}
