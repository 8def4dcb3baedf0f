package dev.chervil.backend;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.broker.redis.OwnRedisServer;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.testing.Services;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * A caller waiting on the Redis backend survives a dropped connection (it resubscribes and reads
 * the key again) and, when Redis stays away, gets a clear error well before its own timeout. On a
 * redis-server of this test's own, killed by PID.
 */
class RedisResultWaitTest {
  @Test
  void aWaiterResubscribesAfterRedisRestartsAndGetsTheResult() throws Exception {
    Services.requireRedis();
    try (OwnRedisServer redis = new OwnRedisServer().start()) {
      RedisBackend backend = new RedisBackend(URI.create(redis.url(0)));
      backend.start();
      String id = UUID.randomUUID().toString();
      CompletableFuture<ResultMeta> got = waitFor(backend, id, Duration.ofSeconds(60));
      await().atMost(Duration.ofSeconds(10)).until(() -> subscribers(redis, id) == 1);

      redis.kill(); // the waiter's connection drops
      redis.start(); // same port
      try (Jedis j = redis.client()) {
        j.set(RedisBackend.KEY_PREFIX + id, success(id)); // stored while nobody listened
      }

      ResultMeta meta = got.get(15, TimeUnit.SECONDS);
      assertEquals(TaskState.SUCCESS, meta.status());
      assertEquals(42, ((Number) meta.result()).intValue());
      backend.close();
    }
  }

  @Test
  void aBackendThatStaysDownFailsTheWaitClearlyBeforeItsTimeout() throws Exception {
    Services.requireRedis();
    try (OwnRedisServer redis = new OwnRedisServer().start()) {
      RedisBackend backend = new RedisBackend(URI.create(redis.url(0)));
      backend.start();
      String id = UUID.randomUUID().toString();
      long t0 = System.nanoTime();
      CompletableFuture<ResultMeta> got = waitFor(backend, id, Duration.ofSeconds(60));
      await().atMost(Duration.ofSeconds(10)).until(() -> subscribers(redis, id) == 1);

      redis.kill();

      ExecutionException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              ExecutionException.class, () -> got.get(30, TimeUnit.SECONDS));
      assertTrue(
          e.getCause() instanceof IllegalStateException
              && e.getCause().getMessage().contains("unreachable"),
          "a clear error, not a timeout: " + e.getCause());
      assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(30).toNanos());
      backend.close();
    }
  }

  private static CompletableFuture<ResultMeta> waitFor(
      RedisBackend backend, String id, Duration timeout) {
    CompletableFuture<ResultMeta> got = new CompletableFuture<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                got.complete(backend.await(id, timeout));
              } catch (Exception | Error t) {
                got.completeExceptionally(t);
              }
            });
    return got;
  }

  private static long subscribers(OwnRedisServer redis, String id) {
    try (Jedis j = redis.client()) {
      return j.pubsubNumSub(RedisBackend.KEY_PREFIX + id).values().iterator().next();
    } catch (RuntimeException down) {
      return -1;
    }
  }

  private static String success(String id) {
    return new String(
        CeleryJsonCodec.encodeResult(
            new ResultMeta(
                id, TaskState.SUCCESS, 42, null, null, OffsetDateTime.now(ZoneOffset.UTC))),
        StandardCharsets.UTF_8);
  }
}
