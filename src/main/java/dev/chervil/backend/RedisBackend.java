package dev.chervil.backend;

import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.protocol.MalformedMessageException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.JedisPubSub;

/**
 * Celery's Redis result backend: key {@code celery-task-meta-<id>} holds the meta dict for a day
 * (SETEX), and the same JSON is PUBLISHed on a channel of the same name for waiters. Python and Java
 * clients can read each other's results.
 */
public final class RedisBackend implements ResultBackend {
  static final String KEY_PREFIX = "celery-task-meta-";
  static final String CHORD_PREFIX = "celery-taskset-meta-";
  private static final long EXPIRES_SECONDS = Duration.ofDays(1).toSeconds();

  private final URI uri;
  private JedisPooled redis;

  public RedisBackend(URI uri) {
    this.uri = uri;
  }

  @Override
  public synchronized void start() {
    if (redis == null) {
      redis = new JedisPooled(uri);
    }
  }

  @Override
  public String replyTo() {
    return null;
  }

  @Override
  public void store(ResultMeta meta, String replyTo, String correlationId) {
    String key = KEY_PREFIX + meta.taskId();
    String json = new String(CeleryJsonCodec.encodeResult(meta), StandardCharsets.UTF_8);
    redis().setex(key, EXPIRES_SECONDS, json);
    redis().publish(key, json);
  }

  /** Celery's chord size key, {@code celery-taskset-meta-<group id>.s}, read by its workers. */
  @Override
  public void prepareChord(String groupId, int size) {
    redis().setex(CHORD_PREFIX + groupId + ".s", EXPIRES_SECONDS, Integer.toString(size));
  }

  /** Subscribes first, then reads the key, so a result stored in between is not missed. */
  @Override
  public ResultMeta await(String taskId, Duration timeout) throws TimeoutException, InterruptedException {
    String key = KEY_PREFIX + taskId;
    CompletableFuture<ResultMeta> done = new CompletableFuture<>();
    JedisPubSub waiter = new JedisPubSub() {
      @Override
      public void onSubscribe(String channel, int subscribedChannels) {
        offer(redis().get(key));
      }

      @Override
      public void onMessage(String channel, String message) {
        offer(message);
      }

      private void offer(String json) {
        if (json == null) {
          return;
        }
        try {
          ResultMeta meta = CeleryJsonCodec.decodeResult(json.getBytes(StandardCharsets.UTF_8), taskId);
          if (meta.status().isReady()) {
            done.complete(meta);
          }
        } catch (MalformedMessageException e) {
          done.completeExceptionally(e);
        }
      }
    };
    Thread listener = Thread.ofVirtual().name("chervil-redis-await-" + taskId)
        .start(() -> redis().subscribe(waiter, key));
    try {
      return done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new TimeoutException("no result for task " + taskId + " within " + timeout);
    } catch (ExecutionException e) {
      throw new IllegalStateException("unreadable result for task " + taskId + ": "
          + e.getCause().getMessage(), e.getCause());
    } finally {
      if (waiter.isSubscribed()) {
        waiter.unsubscribe();
      }
      listener.join(Duration.ofSeconds(2));
    }
  }

  private synchronized JedisPooled redis() {
    if (redis == null) {
      throw new IllegalStateException("redis backend not started");
    }
    return redis;
  }

  @Override
  public synchronized void close() {
    if (redis != null) {
      redis.close();
      redis = null;
    }
  }
}
