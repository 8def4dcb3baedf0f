package dev.chervil.broker;

import dev.chervil.protocol.WireMessage;

/**
 * What Chervil needs from a message broker. Implementations: {@code AmqpTransport} (RabbitMQ) and
 * {@code MemoryTransport} (the embedded default). Nothing above this interface knows AMQP.
 *
 * <p>Lifecycle: {@link #start()} connects, {@link #close()} cancels consumers and disconnects; both
 * are idempotent. All methods are safe to call from any thread.
 */
public interface Transport extends AutoCloseable {

  void start();

  /**
   * Declares a durable queue bound to a durable direct exchange of the same name (kombu's default).
   */
  void declareQueue(QueueSpec queue);

  /**
   * Publishes and returns once the broker has taken responsibility (publisher confirm on AMQP).
   * Celery publishes tasks to the default exchange {@code ""} with routing key = queue name. On
   * AMQP this is {@link #publishAsync} plus a wait for that one confirm, holding no lock while
   * waiting, so concurrent callers do not queue behind each other's round trips.
   *
   * @throws TransportException naming the task id when the broker nacks, no confirm comes in time,
   *     or the channel is lost
   */
  void publish(String exchange, String routingKey, WireMessage message);

  /**
   * Starts consuming {@code queue}, at most {@code prefetch} unacknowledged deliveries at a time.
   * The handler runs on a transport thread and must not block for long. If it throws, its delivery
   * is rejected without requeue and logged; the consumer goes on. A consumer the broker closes or
   * cancels is restored by the transport (see {@link Subscription}).
   */
  Subscription consume(String queue, int prefetch, DeliveryHandler handler);

  /** Declares an exclusive, auto-delete queue for this client's replies and returns its name. */
  String declareReplyQueue();

  /**
   * Publishes without waiting: the future completes when the broker confirms, and completes
   * exceptionally (a {@link TransportException} naming the message) on a nack, a timeout or a lost
   * connection. Many publishes may be outstanding at once. The default (memory transport) publishes
   * synchronously and returns a completed future. On AMQP the future completes on the connection's
   * I/O thread: attach blocking work with an {@code ...Async} stage.
   */
  default java.util.concurrent.CompletableFuture<Void> publishAsync(
      String exchange, String routingKey, WireMessage message) {
    try {
      publish(exchange, routingKey, message);
      return java.util.concurrent.CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      return java.util.concurrent.CompletableFuture.failedFuture(e);
    }
  }

  /** Declares an exchange (idempotent; redeclared after a reconnect). */
  default void declareExchange(ExchangeSpec exchange) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + ": declareExchange");
  }

  /** Binds {@code queue} to {@code exchange} with {@code routingKey} (redone after a reconnect). */
  default void bind(String queue, String exchange, String routingKey) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + ": bind");
  }

  /**
   * Consumes without acknowledgements (kombu's {@code no_ack=True}, as pidbox and event receivers
   * do): a delivery is settled by the broker when sent, and its ack/reject are no-ops.
   */
  default Subscription consumeNoAck(String queue, DeliveryHandler handler) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + ": consumeNoAck");
  }

  /**
   * Publishes {@code message} so it reaches the queue bound with {@code routingKey} after {@code
   * delay} without any worker holding it (RabbitMQ: Celery 5.5's native delayed delivery), and
   * returns once the broker has it. Not every transport can.
   *
   * @throws UnsupportedOperationException where the broker has no delayed delivery
   */
  /** Whether {@link #publishDelayed} works here. */
  default boolean supportsDelayedDelivery() {
    return false;
  }

  default void publishDelayed(java.time.Duration delay, String routingKey, WireMessage message) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + ": publishDelayed");
  }

  /** Whether the broker can dead-letter rejected messages (a DLX configured on the queue). */
  boolean supportsDeadLettering();

  @Override
  void close();
}
