package dev.chervil.broker.amqp;

import dev.chervil.threads.Watchdog;
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
 * <p>amqp-client's own threads get a {@link #CLIENT_STACK_BYTES} stack: the connection's main loop
 * parses each content header with a recursive {@code ValueReader.readTable}, one level per nested
 * table or array, through as many nested {@code TruncatedInputStream}s, and a header may nest about
 * 20,000 levels within one 128 KiB frame. On a default stack that overflows before any Chervil code
 * runs, the connection dies, recovers, is handed the same message and dies again. The stack size is
 * reserved address space, committed only as deep as it is used; the frame size bounds the depth, so
 * this bounds the use. Chervil then refuses the message ({@link HeaderValues#MAX_NESTING}).
 *
 * <p>{@link #keeper()} is the transport's one housekeeping thread: it re-opens and re-consumes
 * channels the broker closed (with backoff) and sweeps publisher confirms that timed out. Channel
 * shutdown listeners run on amqp-client's connection thread, which must not block, so they only
 * hand work to the keeper.
 */
final class AmqpThreads {
  static final long CLIENT_STACK_BYTES = 256L << 20;

  private final String prefix;
  private final AtomicInteger counter = new AtomicInteger();
  private final ThreadFactory factory; // amqp-client's threads: big stacks
  private final ExecutorService consumerPool;
  private final ScheduledExecutorService keeper;

  AmqpThreads(String prefix, int consumerThreads) {
    this.prefix = prefix;
    this.factory =
        runnable -> {
          Thread t =
              new Thread(
                  null, runnable, prefix + "-" + counter.incrementAndGet(), CLIENT_STACK_BYTES);
          t.setDaemon(true);
          return t;
        };
    // Handlers read headers through HeaderValues, which is bounded: a default stack is enough.
    this.consumerPool =
        Executors.newFixedThreadPool(
            consumerThreads,
            runnable -> {
              Thread t = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.keeper = Executors.newSingleThreadScheduledExecutor(Watchdog.threads(prefix + "-keeper"));
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
