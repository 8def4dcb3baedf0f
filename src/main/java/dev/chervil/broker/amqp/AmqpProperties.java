package dev.chervil.broker.amqp;

import com.rabbitmq.client.AMQP;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.WireMessage;

/** Maps {@link WireMessage} properties and headers to AMQP basic properties and back. */
final class AmqpProperties {
  private AmqpProperties() {}

  static AMQP.BasicProperties toAmqp(WireMessage message) {
    MessageProperties p = message.properties();
    AMQP.BasicProperties.Builder b = new AMQP.BasicProperties.Builder();
    if (p != null) {
      b.contentType(p.contentType())
          .contentEncoding(p.contentEncoding())
          .correlationId(p.correlationId())
          .replyTo(p.replyTo())
          .deliveryMode(p.deliveryMode())
          .priority(p.priority())
          .expiration(p.expiration());
    }
    return b.headers(HeaderValues.toAmqp(message.headers())).build();
  }

  static WireMessage fromAmqp(AMQP.BasicProperties p, byte[] body) {
    MessageProperties properties =
        new MessageProperties(
            p.getContentType(),
            p.getContentEncoding(),
            p.getCorrelationId(),
            p.getReplyTo(),
            p.getDeliveryMode(),
            p.getPriority(),
            p.getExpiration());
    return new WireMessage(properties, HeaderValues.fromAmqp(p.getHeaders()), body);
  }
}
