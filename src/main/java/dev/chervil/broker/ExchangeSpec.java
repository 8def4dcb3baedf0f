package dev.chervil.broker;

/**
 * An exchange as kombu declares it. Remote control uses a fanout ({@code celery.pidbox}) and a
 * direct one for replies ({@code reply.celery.pidbox}); events a topic one ({@code celeryev}).
 */
public record ExchangeSpec(String name, Type type, boolean durable, boolean autoDelete) {
  /** kombu's exchange types. */
  public enum Type {
    DIRECT,
    TOPIC,
    FANOUT
  }

  public static ExchangeSpec of(String name, Type type) {
    return new ExchangeSpec(name, type, false, false);
  }
}
