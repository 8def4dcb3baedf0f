package dev.chervil.broker.memory;

import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.TransportException;
import dev.chervil.limits.Ticker;
import dev.chervil.protocol.WireMessage;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process message broker with the RabbitMQ semantics Chervil relies on: the default exchange
 * {@code ""} routes to the queue named by the routing key; declaring a queue also declares a direct
 * exchange of the same name bound with the queue's name (kombu's default); dead-letter exchanges
 * are direct and keep the original routing key. Messages are lost when the JVM exits.
 *
 * <p>Several {@link MemoryTransport}s talk through one broker: {@link #shared()} is the JVM's
 * default ({@code memory://}), {@link #named(String)} a named one ({@code memory://name}), and
 * {@code new MemoryBroker()} a private one (tests).
 */
public final class MemoryBroker {
  private static final Logger log = LoggerFactory.getLogger(MemoryBroker.class);
  private static final ConcurrentMap<String, MemoryBroker> NAMED = new ConcurrentHashMap<>();

  private final String name;
  private final Ticker ticker;
  private final ConcurrentMap<String, MemoryQueue> queues = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, MemoryExchange> exchanges = new ConcurrentHashMap<>();

  /** A private broker, reachable only through this object. */
  public MemoryBroker() {
    this("private", Ticker.SYSTEM);
  }

  /** A private broker whose message expiry follows {@code ticker}. */
  public MemoryBroker(String name, Ticker ticker) {
    this.name = Objects.requireNonNull(name);
    this.ticker = Objects.requireNonNull(ticker);
  }

  /** The JVM's default broker, the one {@code memory://} names. */
  public static MemoryBroker shared() {
    return named("");
  }

  /** The JVM-wide broker called {@code name}, created on first use. */
  public static MemoryBroker named(String name) {
    return NAMED.computeIfAbsent(name, n -> new MemoryBroker(n, Ticker.SYSTEM));
  }

  public String name() {
    return name;
  }

  /**
   * Declares {@code spec} like {@code AmqpTransport} does. Redeclaring with a different dead-letter
   * exchange logs the mismatch and keeps the queue as it is, as {@code AmqpTransport} does on
   * RabbitMQ's PRECONDITION_FAILED. Other queue arguments (priority, queue type) are accepted and
   * not modelled: the memory broker is first-in first-out.
   */
  public synchronized void declareQueue(QueueSpec spec) {
    String dlx = blankToNull(spec.deadLetterExchange());
    MemoryQueue existing = queues.get(spec.name());
    if (existing != null) {
      if (!Objects.equals(existing.deadLetterExchange(), dlx)) {
        // As AmqpTransport does on RabbitMQ's PRECONDITION_FAILED: say so, use the queue as it is.
        log.warn(
            "event=queue-declare-mismatch broker={} queue={} argument=x-dead-letter-exchange"
                + " action=use-existing-queue existing={} requested={}",
            name,
            spec.name(),
            existing.deadLetterExchange(),
            dlx);
      }
      return;
    }
    if (dlx != null) {
      MemoryExchange dead = exchange(dlx);
      String deadQueue = spec.name() + ".dead";
      queues.computeIfAbsent(deadQueue, n -> new MemoryQueue(n, null, this, ticker));
      dead.bind(deadQueue, spec.name());
    }
    queues.put(spec.name(), new MemoryQueue(spec.name(), dlx, this, ticker));
    exchange(spec.name()).bind(spec.name(), spec.name());
    log.info(
        "event=queue-declared broker={} queue={} deadLetterExchange={}", name, spec.name(), dlx);
  }

  /** Declares an exchange of {@code type}; redeclaring one of another type fails, as in AMQP. */
  public synchronized void declareExchange(String exchange, String type) {
    MemoryExchange.Type t = MemoryExchange.Type.valueOf(type);
    MemoryExchange x = exchanges.computeIfAbsent(exchange, n -> new MemoryExchange(n, t));
    if (x.type() != t) {
      throw new TransportException(
          "cannot declare exchange '"
              + exchange
              + "': it already exists with type "
              + x.type()
              + ", requested "
              + t);
    }
  }

  /** Binds {@code queue} to a declared {@code exchange}, as queue.bind does. */
  public synchronized void bind(String queue, String exchange, String routingKey) {
    MemoryExchange x = exchanges.get(exchange);
    if (x == null || !queues.containsKey(queue)) {
      throw new TransportException(
          "cannot bind queue '"
              + queue
              + "' to exchange '"
              + exchange
              + "': no such queue or exchange");
    }
    x.bind(queue, routingKey);
  }

  /** Declares a queue with no exchange binding (a reply queue). */
  synchronized void declareBareQueue(String queue) {
    queues.computeIfAbsent(queue, n -> new MemoryQueue(n, null, this, ticker));
  }

  /** Deletes a queue, its messages and its bindings; a no-op for an unknown queue. */
  public synchronized void deleteQueue(String queue) {
    MemoryQueue q = queues.remove(queue);
    if (q != null) {
      q.delete();
      exchanges.values().forEach(x -> x.unbindQueue(queue));
    }
  }

  /** Ready (not yet delivered) messages in {@code queue}, or -1 if there is no such queue. */
  public int messageCount(String queue) {
    MemoryQueue q = queues.get(queue);
    return q == null ? -1 : q.messageCount();
  }

  /** Publishes a copy of {@code message}; unroutable messages are dropped, as RabbitMQ does. */
  public void publish(String exchange, String routingKey, WireMessage message) {
    WireMessage copy =
        new WireMessage(message.properties(), message.headers(), message.body().clone());
    route(exchange == null ? "" : exchange, routingKey, copy);
  }

  MemoryQueue queue(String queue) {
    return queues.get(queue);
  }

  void route(String exchange, String routingKey, WireMessage message) {
    long expiresAt = expiresAt(message);
    Set<String> targets;
    if (exchange.isEmpty()) {
      targets = Set.of(routingKey);
    } else {
      MemoryExchange x = exchanges.get(exchange);
      if (x == null) {
        // RabbitMQ closes the channel with 404 NOT_FOUND here; the publisher should hear of it.
        throw new TransportException(
            "publish to exchange '" + exchange + "' failed: no such exchange");
      }
      targets = x.route(routingKey);
    }
    int routed = 0;
    for (String target : targets) {
      MemoryQueue q = queues.get(target);
      if (q != null) {
        q.enqueue(new QueuedMessage(message, routingKey, false, expiresAt));
        routed++;
      }
    }
    if (routed == 0) {
      log.debug("event=message-unroutable exchange='{}' routingKey={}", exchange, routingKey);
    }
  }

  private MemoryExchange exchange(String exchange) {
    return exchanges.computeIfAbsent(
        exchange, n -> new MemoryExchange(n, MemoryExchange.Type.DIRECT));
  }

  private long expiresAt(WireMessage message) {
    String expiration = message.properties() == null ? null : message.properties().expiration();
    if (expiration == null) {
      return QueuedMessage.NEVER;
    }
    long millis;
    try {
      millis = Long.parseLong(expiration.strip());
    } catch (NumberFormatException e) {
      millis = -1;
    }
    if (millis < 0) {
      // RabbitMQ refuses such a publish with PRECONDITION_FAILED - invalid expiration.
      throw new TransportException(
          "publish failed: invalid expiration '" + expiration + "' (expected milliseconds >= 0)");
    }
    return ticker.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
