package dev.chervil.pool.process;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.chervil.os.ProcFs;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.task.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pool_grow and pool_shrink on real child JVMs: a grown pool runs more tasks at once, a shrink lets
 * the running tasks end and then releases the retired slots' children like recycled ones.
 */
class ProcessPoolResizeTest extends ProcessPoolFixture {
  private static final Duration STEADY = Duration.ofMillis(500);

  @Test
  void growRunsMoreAtOnceAndShrinkReleasesChildrenOnlyAfterTheirTasks(@TempDir Path tmp)
      throws Exception {
    startPool(
        PoolSpec.of(PoolKind.PROCESSES, SIZE).withModules(List.of(FileGateTasks.class.getName())));

    assertEquals(SIZE + 1, pool.resize(+1));
    assertEquals(SIZE + 1, pool.size());
    Path first = Files.createDirectory(tmp.resolve("first"));
    List<CompletableFuture<Outcome>> held = gates(first, SIZE + 2);
    await().atMost(WAIT).until(() -> FileGateTasks.inside(first) == SIZE + 1);
    await().during(STEADY).atMost(WAIT).until(() -> FileGateTasks.inside(first) == SIZE + 1);

    // Every slot is busy: the shrink is answered now, and no running task is cut short.
    Set<Long> before = pool.ownedChildPids();
    assertEquals(1, pool.resize(-SIZE));
    assertEquals(1, pool.size());
    await().during(STEADY).atMost(WAIT).until(() -> FileGateTasks.inside(first) == SIZE + 1);
    FileGateTasks.open(first);
    Set<Long> ranOn = new HashSet<>();
    for (CompletableFuture<Outcome> f : held) {
      Outcome o = f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      ranOn.add(((Number) assertInstanceOf(Outcome.Ok.class, o).result()).longValue());
    }
    assertEquals(SIZE + 1, ranOn.size(), "the tasks ran on the grown pool's children: " + ranOn);
    await().atMost(WAIT).until(() -> pool.ownedChildPids().size() == pool.expectedChildren());
    Set<Long> retired = new HashSet<>(before);
    retired.removeAll(pool.ownedChildPids());
    assertEquals(SIZE, retired.size(), "one child released per retired slot: " + retired);
    await().atMost(WAIT).until(() -> retired.stream().allMatch(pid -> ProcFs.stat(pid).isEmpty()));

    Path second = Files.createDirectory(tmp.resolve("second"));
    List<CompletableFuture<Outcome>> after = gates(second, 2);
    await().atMost(WAIT).until(() -> FileGateTasks.inside(second) == 1);
    await().during(STEADY).atMost(WAIT).until(() -> FileGateTasks.inside(second) == 1);
    FileGateTasks.open(second);
    for (CompletableFuture<Outcome> f : after) {
      assertInstanceOf(Outcome.Ok.class, f.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    }

    // Back to the size of the baseline: the census is what it was.
    assertEquals(SIZE, pool.resize(SIZE - 1));
    for (int i = 0; i < SIZE * 2; i++) {
      assertInstanceOf(Outcome.Ok.class, run("chervil.debug.noop", List.of(), null, null));
    }
    assertCensusAtBaseline();
  }

  @Test
  void fewerThanOneSlotIsRefused() throws Exception {
    startPool();
    assertThrows(IllegalArgumentException.class, () -> pool.resize(-SIZE));
    assertEquals(SIZE, pool.size());
    assertCensusAtBaseline();
  }

  private List<CompletableFuture<Outcome>> gates(Path dir, int n) {
    List<CompletableFuture<Outcome>> held = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      held.add(pool.submit(request("test.file_gate", List.of(dir.toString()), null, null)));
    }
    return held;
  }
}
