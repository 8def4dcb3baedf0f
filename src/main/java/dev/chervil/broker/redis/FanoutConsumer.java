package dev.chervil.broker.redis;

import dev.chervil.broker.DeliveryHandler;
import dev.chervil.broker.Subscription;
import dev.chervil.broker.TransportException;
import dev.chervil.threads.Watchdog;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A queue bound to a fanout exchange, consumed as kombu does on Redis: PSUBSCRIBE to the exchange's
 * channel ({@code /<db>.<exchange>[/<routing key>]}, {@code #} read as {@code *}). What is
 * published while nobody listens is gone, and deliveries need no ack: remote control (pidbox) and
 * events are best-effort by design. Resubscribes with backoff after a dropped connection.
 */
final class FanoutConsumer implements Subscription {
  private static final Logger log = LoggerFactory.getLogger(FanoutConsumer.class);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  private final String queue;
  private final String topic;
  private final DeliveryHandler handler;
  private final Supplier<Jedis> connect;
  private final Thread thread;
  private final Object lock = new Object();
  private volatile boolean cancelled;
  private JedisPubSub listener;

  FanoutConsumer(String queue, String topic, DeliveryHandler handler, Supplier<Jedis> connect) {
    this.queue = queue;
    this.topic = topic;
    this.handler = handler;
    this.connect = connect;
    this.thread =
        Thread.ofPlatform()
            .name("chervil-redis-fanout-" + queue)
            .unstarted(Watchdog.restarting(() -> cancelled, this::run));
  }

  void start() {
    thread.start();
  }

  private void run() {
    long backoffMs = 100;
    while (!cancelled) {
      JedisPubSub current = new Listener();
      synchronized (lock) {
        if (cancelled) {
          return;
        }
        listener = current;
      }
      try (Jedis connection = connect.get()) {
        connection.psubscribe(current, topic);
        backoffMs = 100;
      } catch (JedisException e) {
        if (cancelled) {
          return;
        }
        log.warn(
            "event=redis-connection-lost queue={} topic={} retry_in_ms={} error={}",
            queue,
            topic,
            backoffMs,
            e.toString());
        sleep(backoffMs);
        backoffMs = Math.min(MAX_BACKOFF.toMillis(), backoffMs * 2);
      }
    }
  }

  private final class Listener extends JedisPubSub {
    @Override
    public void onPMessage(String pattern, String channel, String message) {
      KombuEnvelope envelope;
      try {
        envelope = KombuEnvelope.decode(message, queue);
      } catch (TransportException e) {
        log.warn("event=redis-unreadable-dropped queue={} channel={}", queue, channel);
        return;
      }
      try {
        handler.handle(new RedisDelivery(envelope, queue, null));
      } catch (RuntimeException e) {
        log.error("event=redis-handler-failed queue={} channel={}", queue, channel, e);
      }
    }

    @Override
    public void onPSubscribe(String pattern, int subscribedChannels) {
      if (cancelled) {
        punsubscribe();
      }
    }
  }

  private void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether the subscription is live on the server (for tests that publish right after). */
  boolean subscribed() {
    synchronized (lock) {
      return listener != null && listener.isSubscribed();
    }
  }

  @Override
  public void cancel() {
    JedisPubSub current;
    synchronized (lock) {
      cancelled = true;
      current = listener;
    }
    if (current != null && current.isSubscribed()) {
      try {
        current.punsubscribe();
      } catch (JedisException | IllegalStateException e) {
        // the connection is gone; the thread sees cancelled and ends
      }
    }
    thread.interrupt();
  }

  @Override
  public void prefetch(int count) {
    // No acks, so no window to widen.
  }

  @Override
  public int prefetch() {
    return 0;
  }

  @Override
  public void close() {
    cancel();
    try {
      thread.join(Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
