package dev.chervil.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.testing.Services;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;

/** Celery's Redis key shapes, on the real Redis. */
class RedisBackendTest {

  /**
   * A header saved the way Celery's GroupResult.save writes it: {"result": [[id, parent], kids]}.
   */
  @Test
  void aSavedGroupIsRestoredInItsShape() {
    Services.requireRedis();
    String a = UUID.randomUUID().toString();
    String b = UUID.randomUUID().toString();
    String c = UUID.randomUUID().toString();
    String group = UUID.randomUUID().toString();
    String inner = UUID.randomUUID().toString();
    try (RedisBackend backend = new RedisBackend(URI.create(Services.REDIS_URL));
        JedisPooled redis = new JedisPooled(URI.create(Services.REDIS_URL))) {
      backend.start();
      for (String id : List.of(a, b, c)) {
        backend.store(
            new ResultMeta(id, TaskState.SUCCESS, id.substring(0, 4), null, null, null), null, id);
      }
      String saved =
          "{\"result\": [[\""
              + group
              + "\", null], [[[\""
              + inner
              + "\", null], [[[\""
              + a
              + "\", null], null], [[\""
              + b
              + "\", null], null]]], [[\""
              + c
              + "\", [[\"parent\", null], null]], null]]]}";
      redis.setex(RedisBackend.CHORD_PREFIX + group, 60, saved);
      assertEquals(
          Optional.of(
              Arrays.<Object>asList(
                  List.of(a.substring(0, 4), b.substring(0, 4)), c.substring(0, 4))),
          backend.restoreGroupResults(group));
      assertEquals(Optional.empty(), backend.restoreGroupResults(UUID.randomUUID().toString()));
      redis.del(RedisBackend.CHORD_PREFIX + group);
    }
  }

  @Test
  void resultsLiveAsLongAsResultExpiresSays() {
    Services.requireRedis();
    try (RedisBackend backend = new RedisBackend(URI.create(Services.REDIS_URL));
        JedisPooled redis = new JedisPooled(URI.create(Services.REDIS_URL))) {
      backend.expireResultsAfter(Duration.ofSeconds(42));
      backend.start();
      String id = UUID.randomUUID().toString();
      backend.store(new ResultMeta(id, TaskState.SUCCESS, 1, null, null, null), null, id);
      long ttl = redis.ttl(RedisBackend.KEY_PREFIX + id);
      assertTrue(ttl > 0 && ttl <= 42, "ttl " + ttl);
      backend.expireResultsAfter(Duration.ZERO);
      backend.store(new ResultMeta(id, TaskState.SUCCESS, 1, null, null, null), null, id);
      assertEquals(-1, redis.ttl(RedisBackend.KEY_PREFIX + id), "0 keeps results for ever");
      redis.del(RedisBackend.KEY_PREFIX + id);
    }
  }
}
