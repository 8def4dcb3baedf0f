package dev.chervil.broker.memory;

import dev.chervil.broker.DeliveryHandler;
import dev.chervil.broker.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer of one {@link MemoryQueue}. Its handler runs on a thread of its own, one delivery at a
 * time, as on an AMQP channel. The unacknowledged deliveries are kept here but guarded by the
 * queue's lock, which is the only place that changes them.
 */
final class MemorySubscription implements Subscription {
  private static final Logger log = LoggerFactory.getLogger(MemorySubscription.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final MemoryQueue queue;
  private final DeliveryHandler handler;
  private final Consumer<MemorySubscription> onClose;
  private final ExecutorService thread;
  private final List<MemoryDelivery> unacked = new ArrayList<>(); // guarded by queue
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean cancelled;
  private volatile int prefetch;
  private volatile Thread handlerThread;

  MemorySubscription(
      MemoryQueue queue,
      int prefetch,
      DeliveryHandler handler,
      Consumer<MemorySubscription> onClose) {
    checkPrefetch(prefetch);
    this.queue = queue;
    this.prefetch = prefetch;
    this.handler = handler;
    this.onClose = onClose;
    this.thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t =
                  new Thread(r, "chervil-memory-" + queue.name() + "-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              handlerThread = t;
              return t;
            });
  }

  void start() {
    queue.subscribe(this);
    log.info("event=consumer-started queue={} prefetch={}", queue.name(), prefetch);
  }

  @Override
  public void prefetch(int count) {
    checkPrefetch(count);
    if (closed.get()) {
      throw new IllegalStateException("subscription to queue '" + queue.name() + "' is closed");
    }
    log.info("event=prefetch-changed queue={} from={} to={}", queue.name(), prefetch, count);
    prefetch = count;
    queue.pump();
  }

  @Override
  public int prefetch() {
    return prefetch;
  }

  @Override
  public void cancel() {
    cancelled = true;
    log.info("event=consumer-cancelled queue={}", queue.name());
  }

  /** Stops deliveries and returns unsettled ones to the queue; idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    queue.unsubscribe(this);
    thread.shutdown();
    // Waiting from inside the handler would wait for ourselves.
    if (Thread.currentThread() != handlerThread) {
      try {
        if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
          log.warn(
              "event=consumer-stuck queue={} reason=\"handler did not return in 5s\"",
              queue.name());
          thread.shutdownNow();
        }
      } catch (InterruptedException e) {
        thread.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    log.info("event=consumer-stopped queue={}", queue.name());
    onClose.accept(this);
  }

  /** Called by the queue under its lock. */
  boolean hasRoom() {
    return !closed.get() && !cancelled && (prefetch == 0 || unacked.size() < prefetch);
  }

  /** Called by the queue under its lock. */
  List<MemoryDelivery> unacked() {
    return unacked;
  }

  /** Called by the queue under its lock; only queues the handler call. */
  void dispatch(MemoryDelivery delivery) {
    thread.execute(() -> run(delivery));
  }

  private void run(MemoryDelivery delivery) {
    if (delivery.state() == MemoryDelivery.State.RETURNED) {
      return; // this subscription closed before the handler got to it; the queue has it again
    }
    try {
      handler.handle(delivery);
    } catch (RuntimeException e) {
      log.error(
          "event=handler-failed queue={} correlationId={}",
          queue.name(),
          delivery.correlationId(),
          e);
    }
  }

  private static void checkPrefetch(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("prefetch must be >= 0 (0 = unlimited), was " + count);
    }
  }
}
