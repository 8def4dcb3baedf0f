package dev.chervil.protocol;

import java.util.List;
import java.util.Map;

/**
 * A Celery protocol v2 task message: headers, body {@code [args, kwargs, embed]} and the message
 * properties that route its result ({@code correlation_id}, {@code reply_to}).
 *
 * <p>Argument values are plain JSON values as Jackson reads them: String, Integer/Long/BigInteger,
 * Double, Boolean, null, List and Map.
 */
public record TaskMessage(
    TaskHeaders headers,
    List<Object> args,
    Map<String, Object> kwargs,
    Embed embed,
    MessageProperties properties) {

  public TaskMessage {
    args = Values.list(args);
    kwargs = Values.map(kwargs);
    embed = embed == null ? Embed.EMPTY : embed;
  }

  public String id() {
    return headers.id();
  }

  public String task() {
    return headers.task();
  }
}
