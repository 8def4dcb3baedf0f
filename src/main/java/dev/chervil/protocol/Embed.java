package dev.chervil.protocol;

import java.util.List;
import java.util.Map;

/**
 * The third element of a protocol v2 body: canvas links carried with the message. Each signature is
 * kept as Celery's JSON dict ({@code task}, {@code args}, {@code kwargs}, {@code options}, ...).
 */
public record Embed(
    List<Map<String, Object>> callbacks,
    List<Map<String, Object>> errbacks,
    List<Map<String, Object>> chain,
    Map<String, Object> chord) {

  public static final Embed EMPTY = new Embed(null, null, null, null);

  public Embed {
    callbacks = Values.list(callbacks);
    errbacks = Values.list(errbacks);
    chain = Values.list(chain);
  }
}
