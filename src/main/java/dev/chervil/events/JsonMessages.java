package dev.chervil.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.WireMessage;
import java.io.IOException;
import java.util.Map;

/**
 * JSON bodies of events and control messages, as kombu's {@code json} serializer sends them. Not
 * task messages: those go through {@link CeleryJsonCodec#encode}.
 */
public final class JsonMessages {
  private JsonMessages() {}

  /** A transient (delivery_mode 1) JSON message, as pidbox and events send. */
  public static WireMessage transientJson(Map<String, Object> headers, Object body) {
    try {
      return new WireMessage(
          new MessageProperties(
              MessageProperties.JSON, MessageProperties.UTF_8, null, null, 1, null, null),
          headers,
          CeleryJsonCodec.mapper().writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot encode as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** The body as a JSON object. */
  public static Map<String, Object> decodeObject(WireMessage message) throws IOException {
    return CeleryJsonCodec.mapper().readValue(message.body(), new TypeReference<>() {});
  }
}
