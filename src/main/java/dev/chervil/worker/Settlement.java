package dev.chervil.worker;

import dev.chervil.backend.ResultBackend;
import dev.chervil.broker.Transport;
import dev.chervil.task.TaskRegistry;
import dev.chervil.threads.Watchdog;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every {@link Request} of one worker settles itself with: where results go, the transport for
 * retries and canvas, the counters, the policy, and the executor outcomes are settled on.
 *
 * <p>Settlement runs off the pool's slots, so a slot takes its next task the moment its outcome
 * exists, not after the result is written. The executor's queue is bounded: when settlement falls
 * that far behind (a backend slower than the tasks), the slot settles its own outcome, which slows
 * the intake instead of piling up outcomes without limit.
 *
 * <p>Lifecycle: created with the worker; {@link #close()} after the pool has closed, so every
 * outcome the pool produced — also those of tasks killed by the close — is settled first.
 */
final class Settlement implements AutoCloseable {
  // One thread: result stores and confirms are asynchronous, so settling is short work, and one
  // thread keeps a pooled backend at one connection (a steady census) and settlement in order.
  private static final int THREADS = 1;
  private static final int BACKLOG = 1024;

  private final ResultWriter results;
  private final Transport transport;
  private final Canvas canvas;
  private final ChordJoin chords;
  private final PublishingBuiltins builtins;
  private final WorkerRemote remote;
  private final WorkerStats stats;
  private final WorkerConfig config;
  private final ThreadPoolExecutor executor;
  private final AtomicInteger unsettled = new AtomicInteger();
  private volatile boolean admitting = true;
  private volatile boolean cold;

  Settlement(
      ResultBackend backend,
      StoreRetry retry,
      Transport transport,
      TaskRegistry registry,
      WorkerStats stats,
      WorkerConfig config,
      WorkerRemote remote) {
    this.remote = remote;
    this.transport = transport;
    this.stats = stats;
    this.config = config;
    this.executor =
        new ThreadPoolExecutor(
            THREADS,
            THREADS,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(BACKLOG),
            Watchdog.threads("chervil-settler"),
            // Full, or closing: the caller settles it itself. Never discarded (CallerRunsPolicy
            // drops work once the executor is shut down, and a dropped outcome is a lost message).
            (task, pool) -> task.run());
    executor.prestartAllCoreThreads(); // started with the worker, so they are in every baseline
    // Retried stores run here too: one thread talks to the backend (one pooled connection).
    this.results = new ResultWriter(backend, retry, executor, config.resultExtended());
    this.canvas =
        new Canvas(transport, backend, Canvas.newStyleErrbacks(registry), config.queueArguments());
    this.chords = new ChordJoin(backend, results, canvas);
    this.builtins = new PublishingBuiltins(canvas);
  }

  ResultWriter results() {
    return results;
  }

  Transport transport() {
    return transport;
  }

  Canvas canvas() {
    return canvas;
  }

  ChordJoin chords() {
    return chords;
  }

  /** The node: task events, revoked ids, remote overrides of limits. */
  WorkerRemote remote() {
    return remote;
  }

  PublishingBuiltins builtins() {
    return builtins;
  }

  WorkerStats stats() {
    return stats;
  }

  WorkerConfig config() {
    return config;
  }

  /** Where outcomes are settled. */
  java.util.concurrent.Executor executor() {
    return executor;
  }

  /** Whether tasks may still start; false once the worker drains. */
  boolean admitting() {
    return admitting;
  }

  void stopAdmitting() {
    admitting = false;
  }

  /** Cold shutdown: a task lost to it is requeued when acked late, whatever the policy says. */
  void goCold() {
    cold = true;
  }

  boolean cold() {
    return cold;
  }

  /** A task started: it is unsettled until {@link #settled()}. */
  void started() {
    unsettled.incrementAndGet();
  }

  /** A started task's message is acked or rejected: its fate is sealed. */
  void settled() {
    unsettled.decrementAndGet();
  }

  /** Started tasks whose message is not settled yet. */
  int unsettled() {
    return unsettled.get();
  }

  /** Waits up to {@code timeout} for every started task to be settled; true if all were. */
  boolean awaitSettled(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (unsettled.get() > 0) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /** Settles what is queued, then stops the executor and the store retries. */
  @Override
  public void close() {
    results.close();
    executor.shutdown();
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
