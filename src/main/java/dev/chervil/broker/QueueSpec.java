package dev.chervil.broker;

import java.util.Map;

/**
 * A queue as Chervil declares it. With {@code deadLetterExchange} set, messages rejected without
 * requeue are routed there by the broker. {@code arguments} are the broker's queue arguments as
 * kombu passes them ({@code x-max-priority}, {@code x-queue-type}, {@code x-message-ttl}, {@code
 * x-expires}, ...); {@code exclusive} and {@code autoDelete} as in AMQP.
 */
public record QueueSpec(
    String name,
    boolean durable,
    String deadLetterExchange,
    Map<String, Object> arguments,
    boolean exclusive,
    boolean autoDelete) {

  public QueueSpec {
    arguments = arguments == null ? Map.of() : Map.copyOf(arguments);
  }

  public QueueSpec(String name, boolean durable, String deadLetterExchange) {
    this(name, durable, deadLetterExchange, Map.of(), false, false);
  }

  public static QueueSpec durable(String name) {
    return new QueueSpec(name, true, null);
  }

  public QueueSpec withArguments(Map<String, Object> args) {
    return new QueueSpec(name, durable, deadLetterExchange, args, exclusive, autoDelete);
  }
}
