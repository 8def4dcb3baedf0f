package dev.chervil.broker;

import dev.chervil.broker.amqp.AmqpTransport;
import dev.chervil.broker.memory.MemoryBroker;
import dev.chervil.broker.memory.MemoryTransport;
import dev.chervil.broker.redis.RedisTransport;

/** Creates the transport a broker URL names (not yet started). */
public final class Transports {
  private Transports() {}

  /**
   * {@code amqp://…} gives an {@link AmqpTransport}; {@code redis://…} a {@link RedisTransport};
   * {@code memory://[name]} or {@code null} a {@link MemoryTransport} on the JVM-wide broker of
   * that name.
   *
   * @throws IllegalArgumentException for a URL {@link BrokerUrl#parse} refuses
   */
  public static Transport fromUrl(String url) {
    return switch (BrokerUrl.parse(url)) {
      case BrokerUrl.Amqp amqp -> new AmqpTransport(amqp);
      case BrokerUrl.Redis redis -> new RedisTransport(redis);
      case BrokerUrl.Memory memory -> new MemoryTransport(MemoryBroker.named(memory.name()));
    };
  }
}
