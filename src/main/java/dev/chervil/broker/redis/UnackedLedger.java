package dev.chervil.broker.redis;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.params.ZAddParams;

/**
 * kombu's at-least-once emulation on Redis ({@code kombu.transport.redis.QoS}), shared with every
 * Python and Chervil consumer of the database: a delivered message is kept in the hash {@code
 * unacked} (delivery tag → {@code [envelope, exchange, routing_key]}) and the sorted set {@code
 * unacked_index} (delivery tag scored by the time of delivery, in seconds). Ack removes both.
 * Whoever holds {@code unacked_mutex} pushes back every entry older than the visibility timeout,
 * whoever delivered it, so a crashed consumer's messages come back.
 *
 * <p>Stateless: every method runs on the connection it is given.
 */
final class UnackedLedger {
  private static final Logger log = LoggerFactory.getLogger(UnackedLedger.class);

  /** kombu's {@code unacked_mutex_expire}. */
  private static final long MUTEX_EXPIRE_SECONDS = 300;

  private static final String RELEASE =
      "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
          + "else return 0 end";

  private final KombuRouting routing;

  UnackedLedger(KombuRouting routing) {
    this.routing = routing;
  }

  static double now() {
    return System.currentTimeMillis() / 1000.0;
  }

  void record(Jedis redis, KombuEnvelope envelope) {
    Transaction tx = redis.multi();
    tx.zadd(KombuKeys.UNACKED_INDEX, now(), envelope.deliveryTag());
    tx.hset(KombuKeys.UNACKED, envelope.deliveryTag(), envelope.unackedEntry());
    tx.exec();
  }

  void remove(Jedis redis, String tag) {
    Transaction tx = redis.multi();
    tx.zrem(KombuKeys.UNACKED_INDEX, tag);
    tx.hdel(KombuKeys.UNACKED, tag);
    tx.exec();
  }

  boolean holds(Jedis redis, String tag) {
    return redis.hexists(KombuKeys.UNACKED, tag);
  }

  /**
   * Moves the delivery back to its queues, marked redelivered, as kombu's {@code restore_by_tag}:
   * under WATCH of the hash, so two restorers cannot both push it. {@code leftmost} (LPUSH, the far
   * end from BRPOP) is what kombu does for a reject with requeue; otherwise RPUSH, next in line.
   *
   * @return whether this call pushed it back (false: someone acked or restored it first)
   */
  boolean restore(Jedis redis, String tag, boolean leftmost) {
    while (true) {
      redis.watch(KombuKeys.UNACKED);
      String entry = redis.hget(KombuKeys.UNACKED, tag);
      List<String> queues = List.of();
      String payload = null;
      if (entry != null) {
        JsonNode tuple = KombuEnvelope.parse(entry);
        payload = KombuEnvelope.markedRedelivered(tuple.path(0));
        queues = routing.lookup(redis, tuple.path(1).asText(""), tuple.path(2).asText(""));
      }
      Transaction tx = redis.multi();
      tx.zrem(KombuKeys.UNACKED_INDEX, tag);
      tx.hdel(KombuKeys.UNACKED, tag);
      for (String queue : queues) {
        if (leftmost) {
          tx.lpush(queue, payload);
        } else {
          tx.rpush(queue, payload);
        }
      }
      if (tx.exec() != null) {
        if (entry != null && queues.isEmpty()) {
          log.warn("event=redis-restore-unroutable delivery_tag={}", tag);
        }
        return entry != null;
      }
      // The hash changed under the WATCH (another consumer acked or delivered): read it again.
    }
  }

  /**
   * kombu's {@code restore_visible}: under {@code unacked_mutex} (SET NX with kombu's expiry,
   * released only by its holder), restores every entry scored before now − {@code visibility}.
   *
   * @return how many were pushed back; 0 also when another process holds the mutex
   */
  int restoreVisible(Jedis redis, Duration visibility) {
    String token = UUID.randomUUID().toString();
    if (redis.set(
            KombuKeys.UNACKED_MUTEX, token, SetParams.setParams().nx().ex(MUTEX_EXPIRE_SECONDS))
        == null) {
      return 0;
    }
    try {
      double ceil = now() - visibility.toMillis() / 1000.0;
      int restored = 0;
      for (String tag : redis.zrevrangeByScore(KombuKeys.UNACKED_INDEX, ceil, 0)) {
        if (restore(redis, tag, false)) {
          restored++;
          log.warn(
              "event=redis-restored-unacked delivery_tag={} visibility_timeout_s={}",
              tag,
              visibility.toSeconds());
        }
      }
      return restored;
    } finally {
      redis.eval(RELEASE, List.of(KombuKeys.UNACKED_MUTEX), List.of(token));
    }
  }

  /**
   * Re-scores the given deliveries to now, so no restorer (Python's or ours) takes them for lost
   * while this process still holds them. XX: an entry already acked or restored is not recreated.
   *
   * @return the tags whose entry is gone (restored by someone else, or the server lost it)
   */
  List<String> refresh(Jedis redis, Collection<String> tags) {
    List<String> gone = new ArrayList<>();
    double now = now();
    for (String tag : tags) {
      if (redis.zadd(KombuKeys.UNACKED_INDEX, now, tag, ZAddParams.zAddParams().xx().ch()) == 0
          && !redis.hexists(KombuKeys.UNACKED, tag)) {
        gone.add(tag);
      }
    }
    return gone;
  }
}
