package dev.chervil.broker.amqp;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads one {@link AmqpTransport} lets amqp-client create: every thread the client starts
 * (connection main loop, heartbeat, recovery) comes from {@link #factory()}, and handlers run on
 * {@link #consumerPool()}. amqp-client never shuts down an executor it was given, so this class
 * does, which is what brings a thread census back to its baseline after {@code close()}.
 *
 * <p>{@link #keeper()} is the transport's one housekeeping thread: it re-opens and re-consumes
 * channels the broker closed (with backoff) and sweeps publisher confirms that timed out. Channel
 * shutdown listeners run on amqp-client's connection thread, which must not block, so they only
 * hand work to the keeper.
 */
final class AmqpThreads {
  private final String prefix;
  private final AtomicInteger counter = new AtomicInteger();
  private final ThreadFactory factory;
  private final ExecutorService consumerPool;
  private final ScheduledExecutorService keeper;

  AmqpThreads(String prefix, int consumerThreads) {
    this.prefix = prefix;
    this.factory =
        runnable -> {
          Thread t = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    this.consumerPool = Executors.newFixedThreadPool(consumerThreads, factory);
    this.keeper =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread t = new Thread(runnable, prefix + "-keeper");
              t.setDaemon(true);
              return t;
            });
  }

  ScheduledExecutorService keeper() {
    return keeper;
  }

  ThreadFactory factory() {
    return factory;
  }

  ExecutorService consumerPool() {
    return consumerPool;
  }

  String prefix() {
    return prefix;
  }

  /** Stops the keeper and the consumer pool; returns whether it finished within {@code millis}. */
  boolean shutdown(long millis) {
    keeper.shutdownNow();
    consumerPool.shutdown();
    try {
      keeper.awaitTermination(millis, TimeUnit.MILLISECONDS);
      if (!consumerPool.awaitTermination(millis, TimeUnit.MILLISECONDS)) {
        consumerPool.shutdownNow();
        return false;
      }
      return true;
    } catch (InterruptedException e) {
      consumerPool.shutdownNow();
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
