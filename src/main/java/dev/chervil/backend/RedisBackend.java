package dev.chervil.backend;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.protocol.MalformedMessageException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractTransaction;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.Response;

/**
 * Celery's Redis result backend: key {@code celery-task-meta-<id>} holds the meta dict for a day
 * (SETEX), and the same JSON is PUBLISHed on a channel of the same name for waiters. Python and
 * Java clients can read each other's results.
 */
public final class RedisBackend implements ResultBackend {
  private static final Logger log = LoggerFactory.getLogger(RedisBackend.class);
  static final String KEY_PREFIX = "celery-task-meta-";
  static final String CHORD_PREFIX = "celery-taskset-meta-";
  private static final ObjectMapper JSON = CeleryJsonCodec.mapper();

  private final URI uri;

  /** Celery's {@code result_expires}: one day unless set; 0 for results that never expire. */
  private volatile long expiresSeconds = Duration.ofDays(1).toSeconds();

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
  public void expireResultsAfter(Duration ttl) {
    // Redis TTLs are whole seconds; a positive sub-second expiry must not become "never".
    expiresSeconds = ttl.isZero() ? 0 : Math.max(1, (ttl.toMillis() + 999) / 1000);
  }

  @Override
  public String replyTo() {
    return null;
  }

  @Override
  public void store(ResultMeta meta, String replyTo, String correlationId) {
    String key = KEY_PREFIX + meta.taskId();
    String json = new String(CeleryJsonCodec.encodeResult(meta), StandardCharsets.UTF_8);
    long ttl = expiresSeconds;
    if (ttl > 0) {
      redis().setex(key, ttl, json);
    } else {
      redis().set(key, json);
    }
    redis().publish(key, json);
  }

  /** Celery's chord size key, {@code celery-taskset-meta-<group id>.s}, read by its workers. */
  @Override
  public void prepareChord(String groupId, int size) {
    String key = CHORD_PREFIX + groupId + ".s";
    long ttl = expiresSeconds;
    if (ttl > 0) {
      redis().setex(key, ttl, Integer.toString(size));
    } else {
      redis().set(key, Integer.toString(size));
    }
  }

  @Override
  public boolean joinsChords() {
    return true;
  }

  /**
   * Celery's Redis chord join, so Python and Java workers can fill one chord together: the part
   * goes into the sorted set {@code <group>.j} scored by its index, counted against the size in
   * {@code <group>.s} plus {@code <group>.t} (tasks added later). Add and count run in one MULTI,
   * so exactly one member sees the last count.
   */
  @Override
  public Optional<List<ChordPart>> joinChord(String groupId, Integer index, ChordPart part) {
    String prefix = CHORD_PREFIX + groupId;
    String joined = prefix + ".j";
    String encoded;
    try {
      encoded =
          JSON.writeValueAsString(List.of(1, part.taskId(), part.state().name(), part.result()));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("chord part of task " + part.taskId() + " is not JSON", e);
    }
    Response<Long> count;
    Response<String> added;
    Response<String> size;
    try (AbstractTransaction tx = redis().multi()) {
      tx.zadd(joined, index == null ? Double.POSITIVE_INFINITY : index, encoded);
      count = tx.zcount(joined, "-inf", "+inf");
      added = tx.get(prefix + ".t");
      size = tx.get(prefix + ".s");
      long ttl = expiresSeconds;
      for (String key :
          ttl > 0 ? List.of(joined, prefix + ".t", prefix + ".s") : List.<String>of()) {
        tx.expire(key, ttl);
      }
      tx.exec();
    }
    if (size.get() == null) {
      return Optional.empty();
    }
    long total =
        Long.parseLong(size.get()) + (added.get() == null ? 0 : Long.parseLong(added.get()));
    if (count.get() != total) {
      return Optional.empty();
    }
    List<ChordPart> parts = new ArrayList<>();
    for (String member : redis().zrange(joined, 0, -1)) {
      parts.add(decodePart(member));
    }
    redis().del(joined, prefix + ".t", prefix + ".s");
    return Optional.of(parts);
  }

  /** Celery's {@code celery-taskset-meta-<id>}: {@code {"result": [[id, parent], children]}}. */
  @Override
  public Optional<List<Object>> restoreGroupResults(String groupId) {
    String saved = redis().get(CHORD_PREFIX + groupId);
    if (saved == null) {
      return Optional.empty();
    }
    try {
      Object tuple = JSON.readValue(saved, java.util.Map.class).get("result");
      if (!(tuple instanceof List<?> t) || t.size() != 2 || !(t.get(1) instanceof List<?> kids)) {
        throw new IllegalStateException("not a saved group: " + saved);
      }
      List<Object> out = new ArrayList<>();
      for (Object child : kids) {
        out.add(resultOf(child));
      }
      return Optional.of(out);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable saved group " + groupId, e);
    }
  }

  /** A result tuple {@code [[id, parent], children]}: a leaf's stored value, a group's list. */
  private Object resultOf(Object tuple) {
    if (!(tuple instanceof List<?> t) || t.size() != 2) {
      throw new IllegalStateException("not a result tuple: " + tuple);
    }
    if (t.get(1) instanceof List<?> kids) {
      List<Object> out = new ArrayList<>();
      for (Object child : kids) {
        out.add(resultOf(child));
      }
      return out;
    }
    Object head = t.get(0);
    String id = head instanceof List<?> pair ? String.valueOf(pair.get(0)) : String.valueOf(head);
    String json = redis().get(KEY_PREFIX + id);
    if (json == null) {
      return null;
    }
    try {
      return CeleryJsonCodec.decodeResult(json.getBytes(StandardCharsets.UTF_8), id).result();
    } catch (MalformedMessageException e) {
      throw new IllegalStateException("unreadable result of " + id, e);
    }
  }

  private static ChordPart decodePart(String json) {
    try {
      List<?> tuple = JSON.readValue(json, List.class);
      return new ChordPart(
          (String) tuple.get(1), TaskState.valueOf((String) tuple.get(2)), tuple.get(3));
    } catch (JsonProcessingException | RuntimeException e) {
      throw new IllegalStateException("unreadable chord part " + json, e);
    }
  }

  /**
   * Subscribes first, then reads the key, so a result stored in between is not missed. A dropped
   * connection is resubscribed (with a fresh read of the key, which catches a result stored while
   * it was down); a backend that stays unreachable for {@link #UNREACHABLE_AFTER} fails the wait
   * with a clear error instead of letting the caller wait out its timeout.
   */
  @Override
  public ResultMeta await(String taskId, Duration timeout)
      throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    ResultWait wait = new ResultWait(KEY_PREFIX + taskId, taskId);
    Thread listener =
        Thread.ofVirtual().name("chervil-redis-await-" + taskId).start(() -> wait.listen(deadline));
    try {
      return wait.done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new TimeoutException("no result for task " + taskId + " within " + timeout);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof BackendUnreachable down) {
        throw new IllegalStateException(down.getMessage(), down.getCause());
      }
      throw new IllegalStateException(
          "unreadable result for task " + taskId + ": " + e.getCause().getMessage(), e.getCause());
    } finally {
      wait.stop(); // also when the subscription had not started yet: it ends as soon as it does
      listener.join(Duration.ofSeconds(2));
    }
  }

  /** How long a waiter keeps trying to reach a Redis that went away before it gives up. */
  static final Duration UNREACHABLE_AFTER = Duration.ofSeconds(5);

  private static final class BackendUnreachable extends Exception {
    BackendUnreachable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** One caller's wait for one key: the subscription, its reconnects, the outcome. */
  private final class ResultWait {
    private final String key;
    private final String taskId;
    final CompletableFuture<ResultMeta> done = new CompletableFuture<>();
    private final AtomicReference<Subscriber> current = new AtomicReference<>();
    private volatile long downSince; // nanoTime of the first failure in a row, 0 while connected

    ResultWait(String key, String taskId) {
      this.key = key;
      this.taskId = taskId;
    }

    void listen(long deadline) {
      long backoffMillis = 50;
      while (!done.isDone() && System.nanoTime() < deadline) {
        Subscriber sub = subscriber();
        current.set(sub);
        try {
          redis().subscribe(sub, key); // returns once unsubscribed: the wait is over
        } catch (RuntimeException e) { // a dropped or refused connection (JedisException)
          if (done.isDone()) {
            return;
          }
          long now = System.nanoTime();
          if (downSince == 0) {
            downSince = now;
          }
          if (now - downSince > UNREACHABLE_AFTER.toNanos()) {
            done.completeExceptionally(
                new BackendUnreachable(
                    "redis result backend unreachable for "
                        + UNREACHABLE_AFTER.toSeconds()
                        + " s while waiting for task "
                        + taskId
                        + ": "
                        + e.getMessage(),
                    e));
            return;
          }
          log.warn(
              "event=result-wait-resubscribe task={} retry_in_ms={} reason=\"{}\"",
              taskId,
              backoffMillis,
              e.toString());
          try {
            Thread.sleep(backoffMillis);
          } catch (InterruptedException interrupted) {
            return;
          }
          backoffMillis = Math.min(backoffMillis * 2, 1000);
        }
      }
    }

    void stop() {
      done.cancel(false);
      Subscriber sub = current.get();
      if (sub != null && sub.isSubscribed()) {
        sub.end();
      }
    }

    private Subscriber subscriber() {
      return new Subscriber();
    }

    /**
     * Unsubscribes at most once: a second UNSUBSCRIBE after the loop has ended leaves its reply
     * unread on a connection that goes back to the pool, and the next command reads it.
     */
    private final class Subscriber extends JedisPubSub {
      private final java.util.concurrent.atomic.AtomicBoolean ended =
          new java.util.concurrent.atomic.AtomicBoolean();

      void end() {
        if (ended.compareAndSet(false, true)) {
          unsubscribe();
        }
      }

      @Override
      public void onSubscribe(String channel, int subscribedChannels) {
        if (done.isDone()) {
          end(); // the caller stopped waiting before the subscription was live
          return;
        }
        downSince = 0;
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
          ResultMeta meta =
              CeleryJsonCodec.decodeResult(json.getBytes(StandardCharsets.UTF_8), taskId);
          if (meta.status().isReady()) {
            done.complete(meta);
            end();
          }
        } catch (MalformedMessageException e) {
          done.completeExceptionally(e);
          end();
        }
      }
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
