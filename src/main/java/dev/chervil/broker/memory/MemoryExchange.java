package dev.chervil.broker.memory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A direct or fanout exchange of the {@link MemoryBroker}: bindings of queue names by routing key.
 */
final class MemoryExchange {
  enum Type {
    DIRECT,
    FANOUT
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
      if (type == Type.FANOUT || b.routingKey().equals(routingKey)) {
        out.add(b.queue());
      }
    }
    return out;
  }
}
