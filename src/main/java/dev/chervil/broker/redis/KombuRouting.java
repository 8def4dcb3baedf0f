package dev.chervil.broker.redis;

import dev.chervil.broker.ExchangeSpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import redis.clients.jedis.Jedis;

/**
 * Exchange routing as kombu's virtual transport does it on Redis. The default exchange {@code ""}
 * routes to the queue named by the routing key; a direct exchange to the queues whose binding key
 * equals it; a topic exchange to the queues whose stored regex matches it. Bindings live in Redis
 * ({@code _kombu.binding.<exchange>}), shared with Python; exchange types do not (kombu keeps them
 * per process), so a type is what this process declared, else topic when a binding carries a
 * pattern, else direct (kombu's default).
 */
final class KombuRouting {
  private final Map<String, ExchangeSpec.Type> declared = new ConcurrentHashMap<>();
  private final Map<String, Pattern> compiled = new ConcurrentHashMap<>();

  void declare(ExchangeSpec exchange) {
    declared.put(exchange.name(), exchange.type());
  }

  ExchangeSpec.Type typeOf(String exchange) {
    return declared.get(exchange);
  }

  /** The binding-set member for {@code queue} bound to {@code exchange} with {@code routingKey}. */
  String bindingMember(String exchange, String routingKey, String queue) {
    String pattern =
        declared.get(exchange) == ExchangeSpec.Type.TOPIC ? KombuKeys.topicPattern(routingKey) : "";
    return KombuKeys.bindingMember(routingKey, pattern, queue);
  }

  /** The queues a message to {@code exchange} with {@code routingKey} goes to (not fanout). */
  List<String> lookup(Jedis redis, String exchange, String routingKey) {
    if (exchange == null || exchange.isEmpty()) {
      return List.of(routingKey);
    }
    Set<String> members = redis.smembers(KombuKeys.bindings(exchange));
    List<String[]> table = new ArrayList<>();
    boolean anyPattern = false;
    for (String member : members) {
      String[] parts = member.split(KombuKeys.SEP, -1);
      if (parts.length == 3) {
        table.add(parts);
        anyPattern |= !parts[1].isEmpty();
      }
    }
    ExchangeSpec.Type type = declared.get(exchange);
    boolean topic = type == ExchangeSpec.Type.TOPIC || (type == null && anyPattern);
    Set<String> queues = new LinkedHashSet<>();
    for (String[] binding : table) {
      boolean matches =
          topic
              ? compiled.computeIfAbsent(binding[1], Pattern::compile).matcher(routingKey).find()
              : binding[0].equals(routingKey);
      if (matches) {
        queues.add(binding[2]);
      }
    }
    return List.copyOf(queues);
  }
}
