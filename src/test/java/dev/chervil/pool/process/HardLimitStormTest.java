package dev.chervil.pool.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.chervil.census.Census;
import dev.chervil.task.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Hard limits by the hundred: every stuck child is killed with its whole tree, reaped and replaced,
 * and afterwards the worker owns exactly what it owned before.
 */
class HardLimitStormTest extends ProcessPoolFixture {
  static final int SPINS = Integer.getInteger("chervil.storm.spins", 200);
  static final int SPAWN_SLEEPS = Integer.getInteger("chervil.storm.spawnSleeps", 50);

  @Test
  void hardTimeoutsOfSpinAndSpawnSleepLeaveNothingBehind() throws Exception {
    startPool();
    assertEquals(0, sleepersDescendedFromUs());
    List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
    for (int i = 0; i < SPINS; i++) {
      outcomes.add(pool.submit(request("chervil.debug.spin", List.of(600), null, 0.2)));
    }
    for (int i = 0; i < SPAWN_SLEEPS; i++) {
      outcomes.add(pool.submit(request("chervil.debug.spawn_sleep", List.of(600), null, 0.4)));
    }
    for (CompletableFuture<Outcome> o : outcomes) {
      assertInstanceOf(Outcome.HardKilled.class, o.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    }
    assertCensusAtBaseline();
    assertEquals(0, Census.take(pool).orphans());
    assertEquals(0, sleepersDescendedFromUs(), "no `sleep` grandchild survived its killed parent");
    assertInstanceOf(Outcome.Ok.class, run("chervil.debug.noop", List.of(), null, null));
  }
}
