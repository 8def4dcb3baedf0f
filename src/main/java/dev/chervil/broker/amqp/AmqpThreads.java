package dev.chervil.broker.amqp;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads one {@link AmqpTransport} lets amqp-client create: every thread the client starts
 * (connection main loop, heartbeat, recovery) comes from {@link #factory()}, and handlers run on
 * {@link #consumerPool()}. amqp-client never shuts down an executor it was given, so this class
 * does, which is what brings a thread census back to its baseline after {@code close()}.
 */
final class AmqpThreads {
  private final String prefix;
  private final AtomicInteger counter = new AtomicInteger();
  private final ThreadFactory factory;
  private final ExecutorService consumerPool;

  AmqpThreads(String prefix, int consumerThreads) {
    this.prefix = prefix;
    this.factory =
        runnable -> {
          Thread t = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    this.consumerPool = Executors.newFixedThreadPool(consumerThreads, factory);
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

  /** Stops the consumer pool; returns whether it finished within {@code millis}. */
  boolean shutdown(long millis) {
    consumerPool.shutdown();
    try {
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
