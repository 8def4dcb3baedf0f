package dev.chervil.protocol;

import java.util.Map;

/**
 * A message as it crosses a broker: AMQP-style properties, application headers and the raw body.
 * Transports move these without interpreting them; {@link CeleryJsonCodec} gives them meaning.
 */
public record WireMessage(MessageProperties properties, Map<String, Object> headers, byte[] body) {
  public WireMessage {
    // Celery sends absent values as None (AMQP void), so header values may be null.
    headers = Values.map(headers);
    body = body == null ? new byte[0] : body;
  }
}
