package dev.chervil.broker;

/**
 * A queue as Chervil declares it. With {@code deadLetterExchange} set, messages rejected without
 * requeue are routed there by the broker.
 */
public record QueueSpec(String name, boolean durable, String deadLetterExchange) {
  public static QueueSpec durable(String name) {
    return new QueueSpec(name, true, null);
  }
}
