package dev.chervil.broker.amqp;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Celery 5.5's native delayed delivery on RabbitMQ (kombu's {@code native_delayed_delivery}),
 * declared the same way so a Python 5.5 worker and Chervil share one topology.
 *
 * <p>28 levels. Level {@code L} is a topic exchange {@code celery_delayed_L} and a queue of the
 * same name whose messages live {@code 2^L} seconds and are then dead-lettered to level {@code L-1}
 * (level 0 to {@code celery_delayed_delivery}). A message is published to level 27 with a routing
 * key of the delay in seconds as 28 binary digits, most significant first, each followed by a dot,
 * then the real routing key. At level {@code L} the digit for {@code 2^L} decides: 1 routes into
 * the level's queue (wait {@code 2^L} s), 0 straight to the next level's exchange. The sum of the
 * waits is the delay; {@code celery_delayed_delivery} then routes on {@code #.<routing key>} to the
 * destination queue. Delays are whole seconds, at most {@code 2^28 - 1} s (about 8.5 years).
 */
final class DelayedDelivery {
  static final int BITS = 28;
  static final String DELIVERY_EXCHANGE = "celery_delayed_delivery";
  static final long MAX_SECONDS = (1L << BITS) - 1;

  private DelayedDelivery() {}

  static String level(int level) {
    return "celery_delayed_" + level;
  }

  /** The exchange a delayed message is published to: the top level. */
  static String entryExchange() {
    return level(BITS - 1);
  }

  /** kombu's {@code calculate_routing_key}: 28 binary digits of the delay, then the key. */
  static String routingKey(Duration delay, String routingKey) {
    long seconds = delay.toSeconds();
    if (seconds < 1 || seconds > MAX_SECONDS) {
      throw new IllegalArgumentException(
          "a delay must be between 1 s and " + MAX_SECONDS + " s, was " + delay);
    }
    if (routingKey == null || routingKey.isEmpty()) {
      throw new IllegalArgumentException("a delayed message needs a routing key");
    }
    StringBuilder b = new StringBuilder(BITS * 2 + routingKey.length());
    for (int bit = BITS - 1; bit >= 0; bit--) {
      b.append((seconds >> bit) & 1).append('.');
    }
    return b.append(routingKey).toString();
  }

  /** Declares the levels and their bindings; {@code queueType} is classic or quorum. */
  static void declare(Channel ch, String queueType) throws IOException {
    String ones = "1.#";
    for (int level = BITS - 1; level >= 0; level--) {
      String name = level(level);
      ch.exchangeDeclare(name, BuiltinExchangeType.TOPIC, true);
      Map<String, Object> args = new HashMap<>();
      args.put("x-queue-type", queueType);
      args.put("x-overflow", "reject-publish");
      args.put("x-message-ttl", (1 << level) * 1000L);
      args.put("x-dead-letter-exchange", level > 0 ? level(level - 1) : DELIVERY_EXCHANGE);
      if (queueType.equals("quorum")) {
        args.put("x-dead-letter-strategy", "at-least-once");
      }
      ch.queueDeclare(name, true, false, false, args);
      ch.queueBind(name, name, ones);
      ones = "*." + ones;
    }
    ch.exchangeDeclare(DELIVERY_EXCHANGE, BuiltinExchangeType.TOPIC, true);
    String zeros = "0.#";
    for (int level = BITS - 1; level > 0; level--) {
      ch.exchangeBind(level(level - 1), level(level), zeros);
      zeros = "*." + zeros;
    }
    ch.exchangeBind(DELIVERY_EXCHANGE, level(0), zeros);
  }

  /** Routes what leaves the delay levels with {@code routingKey} into {@code queue}. */
  static void bindQueue(Channel ch, String queue, String routingKey) throws IOException {
    ch.queueBind(queue, DELIVERY_EXCHANGE, "#." + routingKey);
  }
}
