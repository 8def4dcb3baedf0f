package dev.chervil.protocol;

/**
 * The message properties Celery reads and writes. Any field may be null when absent.
 *
 * @param expiration per-message TTL in milliseconds, as a decimal string (AMQP's form)
 * @param deliveryMode 2 for persistent, 1 for transient
 */
public record MessageProperties(
    String contentType,
    String contentEncoding,
    String correlationId,
    String replyTo,
    Integer deliveryMode,
    Integer priority,
    String expiration) {

  public static final String JSON = "application/json";
  public static final String UTF_8 = "utf-8";

  public static MessageProperties json(String correlationId, String replyTo) {
    return new MessageProperties(JSON, UTF_8, correlationId, replyTo, 2, null, null);
  }

  /** The AMQP priority (Celery's {@code priority=}); null sends none. */
  public MessageProperties withPriority(Integer p) {
    return new MessageProperties(
        contentType, contentEncoding, correlationId, replyTo, deliveryMode, p, expiration);
  }

  public MessageProperties withExpiration(String expirationMillis) {
    return new MessageProperties(
        contentType,
        contentEncoding,
        correlationId,
        replyTo,
        deliveryMode,
        priority,
        expirationMillis);
  }
}
