package dev.chervil.task;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaskContextTest {

  /**
   * A 1 ms soft limit can fire before the task's thread is bound (in a child JVM the cancel frame
   * follows the run frame at once); the task must still stop, not sleep its full time.
   */
  @Test
  void aSoftLimitThatFiredBeforeTheTaskStartedStillStopsIt() {
    TaskRunner runner =
        new TaskRunner(
            new TaskRegistry()
                .register(
                    TaskDefinition.named("sleepy")
                        .handler(
                            (ctx, a) -> {
                              ctx.sleep(Duration.ofSeconds(30));
                              return "slept";
                            })));
    TaskContext ctx = new TaskContext(TaskRequest.of("t-1", "sleepy", List.of()));
    ctx.cancel("soft time limit (0.001s) exceeded");
    long start = System.nanoTime();
    Outcome o = runner.run(ctx);
    assertInstanceOf(Outcome.SoftTimedOut.class, o, String.valueOf(o));
    assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "stopped at once");
    assertTrue(!Thread.currentThread().isInterrupted(), "no interrupt leaks to the next task");
  }
}
