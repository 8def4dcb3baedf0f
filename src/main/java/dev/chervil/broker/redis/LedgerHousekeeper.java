package dev.chervil.broker.redis;

import dev.chervil.threads.Watchdog;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

/**
 * The transport's upkeep of kombu's unacked ledger, on one scheduled thread: every {@link
 * RedisOptions#refreshInterval()} it re-scores the deliveries its consumers hold (marking stale
 * those whose entry is gone), and every {@link RedisOptions#restoreInterval()} it runs kombu's
 * {@code restore_visible} for the whole database.
 */
final class LedgerHousekeeper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LedgerHousekeeper.class);

  private final JedisPool pool;
  private final UnackedLedger ledger;
  private final RedisOptions options;
  private final List<ListConsumer> consumers = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("chervil-redis-housekeeper").factory());

  LedgerHousekeeper(JedisPool pool, UnackedLedger ledger, RedisOptions options) {
    this.pool = pool;
    this.ledger = ledger;
    this.options = options;
  }

  void start() {
    long refresh = options.refreshInterval().toMillis();
    long restore = options.restoreInterval().toMillis();
    thread.scheduleWithFixedDelay(
        Watchdog.guarded("ledger-refresh", this::refreshHeld),
        refresh,
        refresh,
        TimeUnit.MILLISECONDS);
    thread.scheduleWithFixedDelay(
        Watchdog.guarded("ledger-restore", this::restoreVisible),
        0,
        restore,
        TimeUnit.MILLISECONDS);
  }

  /** Keeps {@code consumer}'s deliveries fresh from now on. */
  void watch(ListConsumer consumer) {
    consumers.add(consumer);
  }

  void refreshHeld() {
    List<RedisDelivery> held = new ArrayList<>();
    for (ListConsumer c : consumers) {
      held.addAll(c.heldSnapshot());
    }
    if (held.isEmpty()) {
      return;
    }
    try (Jedis redis = pool.getResource()) {
      Set<String> gone =
          Set.copyOf(ledger.refresh(redis, held.stream().map(RedisDelivery::tag).toList()));
      for (RedisDelivery d : held) {
        if (gone.contains(d.tag()) && !d.settled()) {
          d.markStale();
          log.warn(
              "event=redis-delivery-lost queue={} task_id={} delivery_tag={}"
                  + " reason=unacked-entry-gone",
              d.queue(),
              d.taskId(),
              d.tag());
        }
      }
    } catch (RuntimeException e) {
      log.warn("event=redis-refresh-failed held={} error={}", held.size(), e.toString());
    }
  }

  private void restoreVisible() {
    if (consumers.isEmpty()) {
      return; // kombu restores only from a channel that consumes
    }
    try (Jedis redis = pool.getResource()) {
      ledger.restoreVisible(redis, options.visibilityTimeout());
    } catch (RuntimeException e) {
      log.warn("event=redis-restore-failed error={}", e.toString());
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
