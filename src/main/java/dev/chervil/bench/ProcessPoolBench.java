package dev.chervil.bench;

import dev.chervil.Chervil;
import dev.chervil.client.AsyncResult;
import dev.chervil.client.ChervilClient;
import dev.chervil.limits.TimeLimits;
import dev.chervil.os.ProcFs;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.pool.process.ProcessPool;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskRequest;
import dev.chervil.worker.Worker;
import dev.chervil.worker.WorkerConfig;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Measures what the process pool promises: how late a hard limit kills, how soon the slot runs
 * again, what an idle child costs, and no-op throughput through a real broker.
 */
public final class ProcessPoolBench {
  private static final Duration WAIT = Duration.ofSeconds(60);

  /** Late kills and the gap before the next task, over {@code kills} hard limits. */
  public record KillFigures(
      Percentiles limitToSettled, Percentiles settledToNextStart, double firstLimitToSettled) {}

  /** Kills not counted: the first ones in a JVM pay for class loading and JIT of the kill path. */
  public static final int WARM_UP_KILLS = 3;

  private ProcessPoolBench() {}

  /**
   * A pool of one slot (plus its spare) runs {@code spin(60)} with hard limit {@code limit}, with
   * {@code chervil.debug.now} queued behind it. Per kill: how long after dispatch + limit the
   * spinning task was settled as killed (the kill, the reap and the settlement: an upper bound on
   * the kill itself), and how long after that the next task started in the slot, by the child's own
   * clock. Each round starts with the spare ready, the steady state a busy worker is in. The first
   * {@value #WARM_UP_KILLS} kills are not counted; the very first is reported apart.
   */
  public static KillFigures kills(int kills, Duration limit) throws Exception {
    ProcessPool pool = new ProcessPool(PoolSpec.of(PoolKind.PROCESSES, 1));
    pool.start();
    try {
      List<Double> late = new ArrayList<>();
      List<Double> gap = new ArrayList<>();
      double first = 0;
      for (int i = 0; i < WARM_UP_KILLS + kills; i++) {
        awaitTrue(() -> pool.ownedChildPids().size() == pool.expectedChildren());
        Instant dispatched = Instant.now();
        AtomicReference<Instant> settled = new AtomicReference<>();
        CompletableFuture<Outcome> spin =
            pool.submit(
                    request("chervil.debug.spin", List.of(60.0))
                        .withLimits(new TimeLimits(null, limit)))
                .whenComplete((o, e) -> settled.set(Instant.now()));
        CompletableFuture<Outcome> next = pool.submit(request("chervil.debug.now", List.of()));
        Outcome killed = spin.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        if (!(killed instanceof Outcome.HardKilled)) {
          throw new IllegalStateException("expected a hard kill, got " + killed);
        }
        Outcome started = next.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        if (!(started instanceof Outcome.Ok ok)) {
          throw new IllegalStateException("expected the next task to run, got " + started);
        }
        Instant nextStart =
            Instant.EPOCH.plus(((Number) ok.result()).longValue(), ChronoUnit.MICROS);
        double lateMs = millisBetween(dispatched.plus(limit), settled.get());
        if (i == 0) {
          first = lateMs;
        }
        if (i >= WARM_UP_KILLS) {
          late.add(lateMs);
          gap.add(millisBetween(settled.get(), nextStart));
        }
      }
      return new KillFigures(Percentiles.of(late), Percentiles.of(gap), first);
    } finally {
      pool.close();
    }
  }

  /** RSS of idle children (slots and spare) after each has run one no-op, in MiB. */
  public static List<Double> idleChildRssMib(int size) throws Exception {
    ProcessPool pool = new ProcessPool(PoolSpec.of(PoolKind.PROCESSES, size));
    pool.start();
    try {
      List<CompletableFuture<Outcome>> warm = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        warm.add(pool.submit(request("chervil.debug.noop", List.of())));
      }
      for (CompletableFuture<Outcome> f : warm) {
        f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      }
      awaitTrue(() -> pool.ownedChildPids().size() == pool.expectedChildren());
      Thread.sleep(2000); // let start-up garbage settle the way an idle worker's would
      return pool.ownedChildPids().stream()
          .map(pid -> ProcFs.rssBytes(pid) / (1024.0 * 1024.0))
          .sorted()
          .toList();
    } finally {
      pool.close();
    }
  }

  /** No-op tasks per second through {@code brokerUrl} to a {@code -P processes -c size} worker. */
  public static double noopThroughput(String brokerUrl, int size, int tasks) throws Exception {
    String queue = "chervil.bench." + UUID.randomUUID();
    PoolSpec spec = PoolSpec.of(PoolKind.PROCESSES, size);
    try {
      return noopThroughput(brokerUrl, spec, queue, tasks);
    } finally {
      try (QueueProbe probe = new QueueProbe(brokerUrl)) {
        probe.deleteQueueAndExchange(queue);
      }
    }
  }

  private static double noopThroughput(String brokerUrl, PoolSpec spec, String queue, int tasks)
      throws Exception {
    try (Worker worker =
            Chervil.worker(
                brokerUrl, "rpc://", spec, WorkerConfig.defaults().withQueues(List.of(queue)));
        ChervilClient client = Chervil.client(brokerUrl, "rpc://")) {
      worker.start();
      client.start();
      runNoops(client, queue, Math.max(100, tasks / 10)); // warm-up: JIT, connections, children
      long start = System.nanoTime();
      runNoops(client, queue, tasks);
      return tasks / ((System.nanoTime() - start) / 1e9);
    }
  }

  private static void runNoops(ChervilClient client, String queue, int n) throws Exception {
    List<AsyncResult> results = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      results.add(client.task("chervil.debug.noop").queue(queue).send());
    }
    for (AsyncResult r : results) {
      r.get(WAIT);
    }
  }

  private static TaskRequest request(String name, List<Object> args) {
    return TaskRequest.of(UUID.randomUUID().toString(), name, args);
  }

  private static double millisBetween(Instant from, Instant to) {
    return Duration.between(from, to).toNanos() / 1e6;
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the pool did not reach its expected children in " + WAIT);
      }
      Thread.sleep(10);
    }
  }
}
