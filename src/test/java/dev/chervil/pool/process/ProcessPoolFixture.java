package dev.chervil.pool.process;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.chervil.census.Census;
import dev.chervil.census.CensusBaseline;
import dev.chervil.limits.TimeLimits;
import dev.chervil.os.ProcFs;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskRequest;
import dev.chervil.testing.CensusAssertions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/** A process pool of two real child JVMs, and the census it must come back to. */
abstract class ProcessPoolFixture {
  static final int SIZE = 2;
  static final Duration WAIT = Duration.ofSeconds(60);

  ProcessPool pool;
  CensusBaseline baseline;

  void startPool(PoolSpec spec) throws Exception {
    startPool(new ProcessPool(spec));
  }

  void startPool(ProcessPool unstarted) throws Exception {
    pool = unstarted;
    pool.start();
    // Warm: every slot has run a task and the spare is up, so the baseline holds the steady state.
    for (int i = 0; i < SIZE * 2; i++) {
      assertInstanceOf(Outcome.Ok.class, run("chervil.debug.noop", List.of(), null, null));
    }
    // Both counts: a spare is a child from its spawn, but the pool's only once it said ready.
    await()
        .pollInSameThread()
        .atMost(WAIT)
        .until(
            () ->
                pool.ownedChildPids().size() == pool.expectedChildren()
                    && Census.take(pool).children() == pool.expectedChildren());
    baseline = new CensusBaseline(Census.take(pool));
  }

  void startPool() throws Exception {
    startPool(PoolSpec.of(PoolKind.PROCESSES, SIZE));
  }

  Outcome run(String task, List<Object> args, Double soft, Double hard) throws Exception {
    return pool.submit(request(task, args, soft, hard)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  static TaskRequest request(String task, List<Object> args, Double soft, Double hard) {
    String id = UUID.randomUUID().toString();
    return new TaskRequest(
        id, task, args, Map.of(), 0, id, null, null, TimeLimits.ofSeconds(soft, hard));
  }

  void assertCensusAtBaseline() {
    CensusAssertions.assertBackToBaseline(baseline, pool, pool.expectedChildren(), WAIT);
  }

  /**
   * Live `sleep` processes whose ancestry leads to this JVM's children: grandchildren left behind.
   */
  static long sleepersDescendedFromUs() {
    long self = ProcessHandle.current().pid();
    return ProcFs.all().stream()
        .filter(
            s ->
                s.isLive()
                    && ProcessHandle.of(s.pid())
                        .flatMap(h -> h.info().command())
                        .map(c -> c.endsWith("/sleep"))
                        .orElse(false))
        .filter(
            s -> s.ppid() == self || ProcFs.stat(s.ppid()).map(p -> p.ppid() == self).orElse(false))
        .count();
  }

  @AfterEach
  void closePool() {
    if (pool != null) {
      pool.close();
      long self = ProcessHandle.current().pid();
      await()
          .pollInSameThread()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertEquals(
                      List.of(),
                      ProcFs.childrenOf(self),
                      "after close: no child, zombie or adopted grandchild"));
    }
  }
}
