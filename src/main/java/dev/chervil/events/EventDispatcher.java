package dev.chervil.events;

import dev.chervil.broker.ExchangeSpec;
import dev.chervil.broker.Transport;
import dev.chervil.threads.Watchdog;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends Celery events (celery/events/dispatcher.py) to the topic exchange {@code celeryev}: routing
 * key = type with {@code -} → {@code .}, delivery_mode 1, header {@code hostname}; every event has
 * {@code type, hostname, timestamp, utcoffset, pid, clock}. Worker events always go out; task
 * events only while enabled ({@code -E} or {@code enable_events}), Celery's "task" group.
 *
 * <p>Publishing never holds up the caller: the event is built on the caller's thread (so its clock
 * and timestamp are the moment it happened) and handed to one sender thread, which publishes with
 * {@link Transport#publishAsync}. If the broker falls behind by more than {@link #BACKLOG} events,
 * new ones are dropped and counted rather than slowing the worker — events are monitoring, not
 * state. A failed event is counted and logged, never thrown.
 *
 * <p>Lifecycle: {@link #close()} sends what is queued (up to 2 s) and stops the sender thread.
 */
public final class EventDispatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventDispatcher.class);

  /** kombu's {@code Exchange('celeryev', type='topic')}: durable, not auto-delete. */
  public static final ExchangeSpec EXCHANGE =
      new ExchangeSpec("celeryev", ExchangeSpec.Type.TOPIC, true, false);

  private final Transport transport;
  private final String hostname;
  private final LamportClock clock;
  private final long pid = ProcessHandle.current().pid();
  private final AtomicBoolean taskEvents;
  private final AtomicLong failed = new AtomicLong();
  private volatile boolean declared;
  // The sender's newest publish: close() waits for its confirm, so worker-offline is not failed by
  // the transport closing right after (one channel confirms in order).
  private volatile java.util.concurrent.CompletableFuture<?> lastPublish =
      java.util.concurrent.CompletableFuture.completedFuture(null);
  static final int BACKLOG = 10_000;
  private final java.util.concurrent.ThreadPoolExecutor sender =
      new java.util.concurrent.ThreadPoolExecutor(
          1,
          1,
          0,
          java.util.concurrent.TimeUnit.MILLISECONDS,
          new java.util.concurrent.ArrayBlockingQueue<>(BACKLOG),
          Watchdog.threads("chervil-events"));

  public EventDispatcher(
      Transport transport, String hostname, LamportClock clock, boolean taskEvents) {
    this.transport = transport;
    this.hostname = hostname;
    this.clock = clock;
    this.taskEvents = new AtomicBoolean(taskEvents);
    sender.prestartCoreThread(); // now, so a census baseline taken after start-up counts it
  }

  public String hostname() {
    return hostname;
  }

  public LamportClock clock() {
    return clock;
  }

  /** Turns the "task" group on; false if it already was (Celery's reply text depends on it). */
  public boolean enableTaskEvents() {
    return taskEvents.compareAndSet(false, true);
  }

  public boolean disableTaskEvents() {
    return taskEvents.compareAndSet(true, false);
  }

  public boolean taskEventsEnabled() {
    return taskEvents.get();
  }

  /** Sends a task-* event if task events are on. */
  public void sendTaskEvent(String type, Map<String, Object> fields) {
    if (taskEvents.get()) {
      send(type, fields);
    }
  }

  /** Sends an event of any group now (asynchronously). */
  public void send(String type, Map<String, Object> fields) {
    Map<String, Object> event = new LinkedHashMap<>(fields);
    event.put("hostname", hostname);
    event.put("utcoffset", utcoffset());
    event.put("pid", pid);
    event.put("clock", clock.forward());
    event.put("timestamp", System.currentTimeMillis() / 1000.0);
    event.put("type", type);
    try {
      sender.execute(() -> publish(type, event));
    } catch (java.util.concurrent.RejectedExecutionException full) {
      lost(type, full); // backlog full or closed
    }
  }

  private void publish(String type, Map<String, Object> event) {
    try {
      declareOnce();
      var published =
          transport.publishAsync(
              EXCHANGE.name(),
              type.replace('-', '.'),
              JsonMessages.transientJson(Map.of("hostname", hostname), event));
      lastPublish = published;
      published.whenComplete(
          (ok, error) -> {
            if (error != null) {
              lost(type, error);
            }
          });
    } catch (RuntimeException e) {
      lost(type, e);
    }
  }

  /**
   * Sends what is queued and waits for the broker to confirm it (up to 2 s in all), then stops the
   * sender thread; idempotent.
   */
  @Override
  public void close() {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
    sender.shutdown();
    try {
      if (!sender.awaitTermination(2, java.util.concurrent.TimeUnit.SECONDS)) {
        sender.shutdownNow();
      }
      lastPublish.get(
          Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      // already counted and logged as lost by its own completion
    } catch (InterruptedException e) {
      sender.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** Events that could not be published. */
  public long failed() {
    return failed.get();
  }

  /**
   * Python's {@code time.timezone // 3600} (what Celery's {@code utcoffset()} returns when not in
   * DST): hours <em>west</em> of UTC, floored, so UTC+2 is -2 and UTC-5 is 5.
   */
  public static int utcoffset() {
    return utcoffset(ZonedDateTime.now(ZoneId.systemDefault()).getOffset());
  }

  static int utcoffset(java.time.ZoneOffset offset) {
    return Math.floorDiv(-offset.getTotalSeconds(), 3600);
  }

  private void declareOnce() {
    if (!declared) {
      transport.declareExchange(EXCHANGE);
      declared = true;
    }
  }

  private void lost(String type, Throwable error) {
    if (failed.incrementAndGet() % 100 == 1) {
      log.warn(
          "event=event-publish-failed type={} node={} failed={} reason=\"{}\"",
          type,
          hostname,
          failed.get(),
          error.toString());
    }
  }
}
