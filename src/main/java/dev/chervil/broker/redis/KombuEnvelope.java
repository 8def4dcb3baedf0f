package dev.chervil.broker.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chervil.broker.TransportException;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.WireMessage;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A message as kombu's virtual transport stores it in a Redis list: JSON with the body base64
 * encoded ({@code body_encoding: base64}), {@code content-type}, {@code content-encoding}, {@code
 * headers}, and {@code properties} carrying the AMQP-style properties plus {@code delivery_tag} (a
 * uuid), {@code delivery_info} {exchange, routing_key} and {@code priority}.
 *
 * @param raw the JSON exactly as read, which is what kombu keeps in the {@code unacked} hash
 * @param publishedMs when Chervil published it (only set with an expiration; kombu has no TTL)
 */
record KombuEnvelope(
    String raw,
    WireMessage message,
    String deliveryTag,
    String exchange,
    String routingKey,
    boolean redelivered,
    Long publishedMs) {

  private static final ObjectMapper JSON = CeleryJsonCodec.mapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  /**
   * Chervil's own property: kombu's Redis transport ignores {@code expiration}; with the publish
   * time beside it a Chervil consumer can drop an expired message as RabbitMQ would.
   */
  static final String PUBLISHED_MS = "chervil_published_ms";

  /** The envelope for a publish, with a fresh delivery tag. */
  static String encode(String exchange, String routingKey, WireMessage message, long nowMs) {
    MessageProperties p = message.properties();
    ObjectNode root = JSON.createObjectNode();
    root.put("body", Base64.getEncoder().encodeToString(message.body()));
    root.put("content-encoding", p.contentEncoding());
    root.put("content-type", p.contentType());
    root.set("headers", JSON.valueToTree(message.headers()));
    ObjectNode props = root.putObject("properties");
    putIfSet(props, "correlation_id", p.correlationId());
    putIfSet(props, "reply_to", p.replyTo());
    if (p.deliveryMode() != null) {
      props.put("delivery_mode", p.deliveryMode());
    }
    if (p.expiration() != null) {
      props.put("expiration", p.expiration());
      props.put(PUBLISHED_MS, nowMs);
    }
    ObjectNode info = props.putObject("delivery_info");
    info.put("exchange", exchange);
    info.put("routing_key", routingKey);
    props.put("priority", p.priority() == null ? 0 : p.priority());
    props.put("body_encoding", "base64");
    props.put("delivery_tag", java.util.UUID.randomUUID().toString());
    return write(root);
  }

  /**
   * Reads an envelope, from Python or Chervil.
   *
   * @throws TransportException naming the queue when it is not kombu's format
   */
  static KombuEnvelope decode(String raw, String queue) {
    try {
      JsonNode root = JSON.readTree(raw);
      JsonNode props = root.path("properties");
      String tag = props.path("delivery_tag").asText(null);
      if (tag == null || !root.isObject()) {
        throw new TransportException("queue '" + queue + "': not a kombu envelope: " + cut(raw));
      }
      JsonNode info = props.path("delivery_info");
      byte[] body = body(root.path("body"), props.path("body_encoding").asText(null));
      Map<String, Object> headers =
          root.path("headers").isObject()
              ? JSON.convertValue(root.get("headers"), MAP)
              : new LinkedHashMap<>();
      boolean redelivered = info.path("redelivered").asBoolean(false);
      if (redelivered && Boolean.TRUE.equals(headers.get("redelivered"))) {
        // kombu's restore writes the flag into the headers too; it is not a task header.
        headers = new LinkedHashMap<>(headers);
        headers.remove("redelivered");
      }
      MessageProperties properties =
          new MessageProperties(
              text(root, "content-type"),
              text(root, "content-encoding"),
              text(props, "correlation_id"),
              text(props, "reply_to"),
              props.hasNonNull("delivery_mode") ? props.get("delivery_mode").asInt() : null,
              props.hasNonNull("priority") ? props.get("priority").asInt() : null,
              text(props, "expiration"));
      return new KombuEnvelope(
          raw,
          new WireMessage(properties, headers, body),
          tag,
          info.path("exchange").asText(""),
          info.path("routing_key").asText(""),
          redelivered,
          props.hasNonNull(PUBLISHED_MS) ? props.get(PUBLISHED_MS).asLong() : null);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new TransportException("queue '" + queue + "': unreadable envelope: " + cut(raw), e);
    }
  }

  /** Whether a Chervil-published message's expiration has passed. */
  boolean expiredAt(long nowMs) {
    String expiration = message.properties().expiration();
    if (publishedMs == null || expiration == null) {
      return false;
    }
    try {
      return nowMs > publishedMs + Long.parseLong(expiration.strip());
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** The {@code unacked} hash value kombu writes: {@code [envelope, exchange, routing_key]}. */
  String unackedEntry() {
    return "[" + raw + "," + quote(exchange) + "," + quote(routingKey) + "]";
  }

  /**
   * What kombu's {@code _do_restore_message} pushes back: the envelope with {@code
   * headers.redelivered} and {@code properties.delivery_info.redelivered} set to true.
   */
  static String markedRedelivered(JsonNode envelope) {
    ObjectNode copy = envelope.deepCopy();
    if (copy.get("headers") instanceof ObjectNode headers) {
      headers.put("redelivered", true);
      if (copy.path("properties").get("delivery_info") instanceof ObjectNode info) {
        info.put("redelivered", true);
      }
    }
    return write(copy);
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new TransportException("unreadable JSON in Redis: " + cut(json), e);
    }
  }

  private static byte[] body(JsonNode body, String encoding) {
    if (body.isNull() || body.isMissingNode()) {
      return new byte[0];
    }
    if ("base64".equals(encoding)) {
      return Base64.getMimeDecoder().decode(body.asText());
    }
    return body.asText().getBytes(StandardCharsets.UTF_8);
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static void putIfSet(ObjectNode node, String field, String value) {
    if (value != null) {
      node.put(field, value);
    }
  }

  private static String quote(String s) {
    return write(JSON.getNodeFactory().textNode(s));
  }

  private static String write(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree did not serialize", e);
    }
  }

  private static String cut(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
