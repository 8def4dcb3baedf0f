package dev.chervil.broker.redis;

import dev.chervil.broker.DeliveryHandler;
import dev.chervil.broker.Subscription;
import dev.chervil.broker.TransportException;
import dev.chervil.threads.Watchdog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.KeyValue;

/**
 * One consumer of one queue: a thread with its own connection BRPOPping the queue's priority lists
 * in kombu's order, at most {@code prefetch} unsettled deliveries at a time. With acks, each
 * delivery is recorded in kombu's unacked ledger before the handler sees it, and the deliveries it
 * holds are the ones the transport keeps fresh. A dropped connection is retried with backoff; a
 * held delivery whose ledger entry did not survive is marked stale.
 *
 * <p>One piece (longer than most classes) because the prefetch window, the held deliveries and the
 * reconnect loop share one lock and one lifecycle; split, they would need a protocol between them.
 *
 * <p>Threads: the consumer thread owns {@code connection}; {@code held}, {@code prefetch} and the
 * flags are guarded by {@code lock}; settlements come from any thread and use the pool.
 */
final class ListConsumer implements Subscription, RedisDelivery.Settler {
  private static final Logger log = LoggerFactory.getLogger(ListConsumer.class);

  /** BRPOP's timeout: how long a cancel can wait for the consumer thread to notice. */
  private static final double POLL_SECONDS = 0.5;

  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  /** How often a consumer with a full window checks that its connection is alive. */
  private static final Duration FULL_CHECK = Duration.ofSeconds(2);

  private final String queue;
  private final String[] lists;
  private final boolean acks;
  private final DeliveryHandler handler;
  private final JedisPool pool;
  private final Supplier<Jedis> connect;
  private final UnackedLedger ledger;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Map<String, RedisDelivery> held = new LinkedHashMap<>();
  private final Thread thread;
  private int prefetch;
  private boolean cancelled;
  private boolean closed;

  /** A popped message not yet in the ledger when the connection dropped: pushed back first. */
  private KeyValue<String, String> unrecorded;

  ListConsumer(
      String queue,
      int prefetch,
      boolean acks,
      DeliveryHandler handler,
      JedisPool pool,
      Supplier<Jedis> connect,
      UnackedLedger ledger) {
    this.queue = queue;
    this.lists = KombuKeys.listsOf(queue);
    this.prefetch = acks ? Math.max(0, prefetch) : 0;
    this.acks = acks;
    this.handler = handler;
    this.pool = pool;
    this.connect = connect;
    this.ledger = ledger;
    this.thread =
        Thread.ofPlatform()
            .name("chervil-redis-consume-" + queue)
            .unstarted(Watchdog.restarting(this::isCancelled, this::run));
  }

  void start() {
    thread.start();
  }

  private void run() {
    Jedis connection = null;
    long backoffMs = 100;
    boolean reconnecting = false;
    try {
      while (!isCancelled()) {
        try {
          if (connection == null) {
            connection = connect.get();
            if (reconnecting) {
              afterReconnect(connection);
              reconnecting = false;
            }
          }
          Capacity capacity = awaitCapacity();
          if (capacity == Capacity.CANCELLED) {
            break;
          }
          if (capacity == Capacity.FULL) {
            // Nothing to fetch, but a dead server must still be noticed: its restart loses the
            // ledger entries of what this consumer holds, which are then stale.
            connection.ping();
            continue;
          }
          KeyValue<String, String> popped = connection.brpop(POLL_SECONDS, lists);
          backoffMs = 100;
          if (popped != null) {
            take(connection, popped);
          }
        } catch (JedisException e) {
          closeQuietly(connection);
          connection = null;
          reconnecting = true;
          log.warn(
              "event=redis-connection-lost queue={} retry_in_ms={} error={}",
              queue,
              backoffMs,
              e.toString());
          pause(backoffMs);
          backoffMs = Math.min(MAX_BACKOFF.toMillis(), backoffMs * 2);
        }
      }
    } finally {
      if (unrecorded != null && connection != null) {
        pushBack(connection, unrecorded);
      }
      closeQuietly(connection);
    }
  }

  private void take(Jedis connection, KeyValue<String, String> popped) {
    if (isCancelled()) {
      // Popped after a cancel: no new deliveries now, so it goes back to the front of the line.
      pushBack(connection, popped);
      return;
    }
    KombuEnvelope envelope;
    try {
      envelope = KombuEnvelope.decode(popped.getValue(), queue);
    } catch (TransportException e) {
      log.error("event=redis-unreadable-dropped queue={} error={}", queue, e.getMessage());
      return;
    }
    if (envelope.expiredAt(System.currentTimeMillis())) {
      log.info(
          "event=redis-expired-dropped queue={} task_id={} expiration_ms={}",
          queue,
          envelope.message().headers().get("id"),
          envelope.message().properties().expiration());
      return;
    }
    RedisDelivery delivery = new RedisDelivery(envelope, queue, acks ? this : null);
    if (acks) {
      unrecorded = popped;
      ledger.record(connection, envelope);
      unrecorded = null;
      lock.lock();
      try {
        held.put(delivery.tag(), delivery);
      } finally {
        lock.unlock();
      }
    }
    try {
      handler.handle(delivery);
    } catch (RuntimeException e) {
      log.error("event=redis-handler-failed queue={} task_id={}", queue, delivery.taskId(), e);
    }
  }

  private void afterReconnect(Jedis connection) {
    if (unrecorded != null) {
      pushBack(connection, unrecorded);
      unrecorded = null;
    }
    int stale = 0;
    for (RedisDelivery d : heldSnapshot()) {
      if (!ledger.holds(connection, d.tag())) {
        d.markStale();
        stale++;
      }
    }
    log.info(
        "event=redis-reconnected queue={} held={} stale={}", queue, heldSnapshot().size(), stale);
  }

  private void pushBack(Jedis connection, KeyValue<String, String> popped) {
    connection.rpush(popped.getKey(), popped.getValue());
  }

  private enum Capacity {
    READY,
    FULL,
    CANCELLED
  }

  /** Waits up to {@link #FULL_CHECK} while the prefetch window is full. */
  private Capacity awaitCapacity() {
    lock.lock();
    try {
      long left = FULL_CHECK.toNanos();
      while (!cancelled && prefetch > 0 && unsettled() >= prefetch) {
        if (left <= 0) {
          return Capacity.FULL;
        }
        left = changed.awaitNanos(left);
      }
      return cancelled ? Capacity.CANCELLED : Capacity.READY;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Capacity.CANCELLED;
    } finally {
      lock.unlock();
    }
  }

  private int unsettled() {
    return held.size();
  }

  @Override
  public void settle(RedisDelivery delivery, boolean ack, boolean requeue) {
    lock.lock();
    try {
      if (held.remove(delivery.tag()) == null) {
        log.warn(
            "event=redis-settle-ignored reason=subscription-closed queue={} delivery_tag={}"
                + " task_id={}",
            queue,
            delivery.tag(),
            delivery.taskId());
        return;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (delivery.isStale()) {
      return;
    }
    try (Jedis redis = pool.getResource()) {
      if (!ack && requeue) {
        ledger.restore(redis, delivery.tag(), true);
      } else {
        ledger.remove(redis, delivery.tag());
      }
    } catch (RuntimeException e) {
      throw new TransportException(
          "redis: settling delivery " + delivery.tag() + " of queue '" + queue + "' failed", e);
    }
    if (!ack && !requeue) {
      // kombu's Redis transport has no dead-lettering: a rejected message is gone.
      log.warn(
          "event=redis-rejected-dropped queue={} task_id={} delivery_tag={}",
          queue,
          delivery.taskId(),
          delivery.tag());
    }
  }

  /** The unsettled deliveries, for the transport's visibility refresh. */
  List<RedisDelivery> heldSnapshot() {
    lock.lock();
    try {
      return new ArrayList<>(held.values());
    } finally {
      lock.unlock();
    }
  }

  private boolean isCancelled() {
    lock.lock();
    try {
      return cancelled;
    } finally {
      lock.unlock();
    }
  }

  private void pause(long millis) {
    lock.lock();
    try {
      if (!cancelled) {
        changed.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void cancel() {
    lock.lock();
    try {
      cancelled = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void prefetch(int count) {
    lock.lock();
    try {
      prefetch = acks ? Math.max(0, count) : 0;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public int prefetch() {
    lock.lock();
    try {
      return prefetch;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Cancels, waits for the consumer thread, and pushes every unsettled delivery back (kombu's
   * {@code restore_unacked} at channel close), newest first so the queue keeps their order.
   */
  @Override
  public void close() {
    List<RedisDelivery> toRestore;
    cancel();
    try {
      thread.join(Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      toRestore = new ArrayList<>(held.values());
      held.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (toRestore.isEmpty()) {
      return;
    }
    try (Jedis redis = pool.getResource()) {
      for (int i = toRestore.size() - 1; i >= 0; i--) {
        RedisDelivery d = toRestore.get(i);
        if (!d.isStale()) {
          ledger.restore(redis, d.tag(), false);
        }
      }
    } catch (RuntimeException e) {
      // They stay in the ledger: restore_visible brings them back after the visibility timeout.
      log.warn(
          "event=redis-restore-at-close-failed queue={} held={} error={}",
          queue,
          toRestore.size(),
          e.toString());
    }
  }

  private static void closeQuietly(Jedis connection) {
    if (connection != null) {
      try {
        connection.close();
      } catch (RuntimeException ignored) {
        // already broken
      }
    }
  }
}
