package dev.chervil.broker.amqp;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * RabbitMQ queue arguments as kombu and Celery set them, for {@code QueueSpec.withArguments}. A
 * queue a Python app declared must be declared here with the same ones, or the worker logs a
 * mismatch and uses the queue as it is (see {@code AmqpTopology}).
 */
public final class QueueArguments {
  /** Celery's {@code task_queue_max_priority} / kombu's {@code Queue(max_priority=N)}. */
  public static final String MAX_PRIORITY = "x-max-priority";

  /** {@code classic} or {@code quorum}; Celery 5.5's {@code task_default_queue_type}. */
  public static final String QUEUE_TYPE = "x-queue-type";

  /** Quorum queues: deliveries after which a message is dead-lettered (or dropped). */
  public static final String DELIVERY_LIMIT = "x-delivery-limit";

  /** RabbitMQ 4's default delivery limit for quorum queues; 3.x has none unless set. */
  public static final int DEFAULT_DELIVERY_LIMIT = 20;

  private QueueArguments() {}

  /** {@code x-max-priority: max}; RabbitMQ allows 1 to 255, Celery's recipe uses 10. */
  public static Map<String, Object> priority(int max) {
    if (max < 1 || max > 255) {
      throw new IllegalArgumentException("max priority must be between 1 and 255, was " + max);
    }
    return Map.of(MAX_PRIORITY, max);
  }

  /** {@code x-queue-type: quorum} with {@code x-delivery-limit: deliveryLimit}. */
  public static Map<String, Object> quorum(int deliveryLimit) {
    if (deliveryLimit < 1) {
      throw new IllegalArgumentException("delivery limit must be >= 1, was " + deliveryLimit);
    }
    return Map.of(QUEUE_TYPE, "quorum", DELIVERY_LIMIT, deliveryLimit);
  }

  /**
   * The arguments the worker's command line asks for; {@code null} options add nothing.
   *
   * @param queueType {@code classic}, {@code quorum} or null
   * @throws IllegalArgumentException for an unknown type, or a priority on a quorum queue (not
   *     supported before RabbitMQ 4)
   */
  public static Map<String, Object> of(
      String queueType, Integer maxPriority, Integer deliveryLimit) {
    Map<String, Object> args = new LinkedHashMap<>();
    String type = queueType == null ? null : queueType.toLowerCase(Locale.ROOT);
    if ("quorum".equals(type)) {
      if (maxPriority != null) {
        throw new IllegalArgumentException("--max-priority is not supported on quorum queues");
      }
      // Only what Celery 5.5 declares, so a queue a Python app made matches; a delivery limit is
      // an argument too (a mismatch unless the app sets it), better set by policy.
      args.put(QUEUE_TYPE, "quorum");
      if (deliveryLimit != null) {
        args.putAll(quorum(deliveryLimit));
      }
    } else if (type == null || "classic".equals(type)) {
      if (deliveryLimit != null) {
        throw new IllegalArgumentException("--delivery-limit needs --queue-type quorum");
      }
      if ("classic".equals(type)) {
        args.put(QUEUE_TYPE, "classic");
      }
    } else {
      throw new IllegalArgumentException(
          "queue type must be classic or quorum, was '" + queueType + "'");
    }
    if (maxPriority != null) {
      args.putAll(priority(maxPriority));
    }
    return Map.copyOf(args);
  }
}
