package dev.chervil.pool.process;

import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.task.TaskRequest;
import java.util.List;

/**
 * A supervisor JVM for {@link SupervisorDeathTest}: a process pool whose one slot runs {@code
 * chervil.debug.spawn_sleep(seconds)}, then waits to be SIGKILLed. Args: the sleep's seconds.
 */
public final class OrphanSupervisorMain {
  public static void main(String[] args) throws Exception {
    ProcessPool pool =
        new ProcessPool(new PoolSpec(PoolKind.PROCESSES, 1, List.of(), true, false, null, null));
    pool.start();
    pool.submit(
        TaskRequest.of(
            "orphan-test", "chervil.debug.spawn_sleep", List.of(Double.valueOf(args[0]))));
    System.out.println("submitted");
    System.out.flush();
    Thread.sleep(120_000); // the test kills us long before
  }
}
