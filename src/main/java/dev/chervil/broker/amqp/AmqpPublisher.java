package dev.chervil.broker.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import dev.chervil.broker.TransportException;
import dev.chervil.protocol.WireMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes with publisher confirms on one channel of its own.
 *
 * <p>amqp-client channels must not be published on concurrently (frames of two messages would
 * interleave), so {@link #publish} is synchronized: one message in flight at a time, each waited
 * for. A channel that failed (confirm timeout, nack, broker error) is closed by amqp-client and
 * replaced on the next publish.
 */
final class AmqpPublisher {
  private static final Logger log = LoggerFactory.getLogger(AmqpPublisher.class);

  private final Connection connection;
  private final Duration confirmTimeout;
  private Channel channel; // guarded by this

  AmqpPublisher(Connection connection, Duration confirmTimeout) {
    this.connection = connection;
    this.confirmTimeout = confirmTimeout;
  }

  synchronized void publish(String exchange, String routingKey, WireMessage message) {
    try {
      Channel ch = channel();
      ch.basicPublish(exchange, routingKey, false, AmqpProperties.toAmqp(message), message.body());
      ch.waitForConfirmsOrDie(confirmTimeout.toMillis());
    } catch (IOException | TimeoutException | ShutdownSignalException e) {
      discard();
      throw failure(exchange, routingKey, message, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      discard();
      throw failure(exchange, routingKey, message, e);
    }
  }

  synchronized void close() {
    discard();
  }

  private Channel channel() throws IOException {
    if (channel == null || !channel.isOpen()) {
      channel = connection.createChannel();
      channel.confirmSelect();
    }
    return channel;
  }

  private void discard() {
    Channel ch = channel;
    channel = null;
    if (ch != null && ch.isOpen()) {
      try {
        ch.close();
      } catch (IOException | TimeoutException | ShutdownSignalException e) {
        log.debug("event=publish-channel-close-failed reason=\"{}\"", e.toString());
      }
    }
  }

  private static TransportException failure(
      String exchange, String routingKey, WireMessage message, Exception e) {
    String correlationId =
        message.properties() == null ? null : message.properties().correlationId();
    log.warn(
        "event=publish-failed exchange='{}' routingKey={} correlationId={} reason=\"{}\"",
        exchange,
        routingKey,
        correlationId,
        e.toString());
    return new TransportException(
        "publish to exchange '"
            + exchange
            + "' with routing key '"
            + routingKey
            + "' (correlation id "
            + correlationId
            + ") was not confirmed: "
            + e,
        e);
  }
}
