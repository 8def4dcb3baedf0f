package dev.chervil.broker.memory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A direct or fanout exchange of the {@link MemoryBroker}: bindings of queue names by routing key.
 */
final class MemoryExchange {
  enum Type {
    DIRECT,
    FANOUT,
    TOPIC
  }

  private final String name;
  private final Type type;
  private final Set<Binding> bindings = ConcurrentHashMap.newKeySet();

  private record Binding(String queue, String routingKey) {}

  MemoryExchange(String name, Type type) {
    this.name = name;
    this.type = type;
  }

  String name() {
    return name;
  }

  Type type() {
    return type;
  }

  void bind(String queue, String routingKey) {
    bindings.add(new Binding(queue, routingKey));
  }

  void unbindQueue(String queue) {
    bindings.removeIf(b -> b.queue().equals(queue));
  }

  /** Names of the queues a message with {@code routingKey} goes to. */
  Set<String> route(String routingKey) {
    Set<String> out = new java.util.LinkedHashSet<>();
    for (Binding b : bindings) {
      boolean match =
          switch (type) {
            case FANOUT -> true;
            case DIRECT -> b.routingKey().equals(routingKey);
            case TOPIC -> topicMatches(b.routingKey(), routingKey);
          };
      if (match) {
        out.add(b.queue());
      }
    }
    return out;
  }

  /** AMQP topic matching: words split by dots, {@code *} is one word, {@code #} zero or more. */
  static boolean topicMatches(String pattern, String key) {
    return matches(pattern.split("\\.", -1), 0, key.split("\\.", -1), 0);
  }

  private static boolean matches(String[] p, int i, String[] k, int j) {
    if (i == p.length) {
      return j == k.length;
    }
    if (p[i].equals("#")) {
      for (int skip = j; skip <= k.length; skip++) {
        if (matches(p, i + 1, k, skip)) {
          return true;
        }
      }
      return false;
    }
    return j < k.length && (p[i].equals("*") || p[i].equals(k[j])) && matches(p, i + 1, k, j + 1);
  }
}
