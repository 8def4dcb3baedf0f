package dev.chervil.worker;

import dev.chervil.broker.Delivery;

/**
 * A quorum queue's delivery limit as far as the worker knows it. RabbitMQ counts the times a
 * message came back in {@code x-delivery-count} and, once it is returned more often than {@code
 * x-delivery-limit}, dead-letters it (or drops it, without a dead-letter exchange) instead of
 * delivering it again. The broker tells no consumer, so the worker says so itself at the requeue
 * that passes the limit. Only a limit the worker declared its queues with ({@code
 * --delivery-limit}) is known here; one set by policy is applied by the broker unlogged.
 */
final class DeliveryLimit {
  static final String LIMIT_ARGUMENT = "x-delivery-limit";
  static final String COUNT_HEADER = "x-delivery-count";

  private DeliveryLimit() {}

  /** The limit of the worker's queue arguments, or -1 when it declared none. */
  static long of(WorkerConfig config) {
    return config.queueArguments().get(LIMIT_ARGUMENT) instanceof Number n ? n.longValue() : -1;
  }

  /** How often the message came back before this delivery: 0 on its first one. */
  static long count(Delivery delivery) {
    return delivery.message().headers().get(COUNT_HEADER) instanceof Number n ? n.longValue() : 0;
  }

  /** Whether returning {@code delivery} now makes the broker dead-letter it. */
  static boolean passedByRequeue(Delivery delivery, WorkerConfig config) {
    long limit = of(config);
    return limit >= 0 && count(delivery) >= limit;
  }
}
