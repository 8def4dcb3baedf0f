package dev.chervil.interop;

import dev.chervil.debug.DebugTasks;
import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskModule;
import dev.chervil.task.TaskRegistry;
import java.time.Duration;
import java.util.List;

/**
 * The Java side of the interoperability tests: Python-style names, so Python's Celery calls them
 * exactly as it would call its own tasks. Loaded by name in the process pool's children.
 */
public final class InteropTasks implements TaskModule {
  @Override
  public void register(TaskRegistry registry) {
    registry
        .register(
            TaskDefinition.named("proj.tasks.add")
                .param("x", long.class)
                .param("y", long.class)
                .handler((ctx, a) -> (long) a[0] + (long) a[1]))
        .register(
            TaskDefinition.named("proj.tasks.mul")
                .param("x", long.class)
                .param("y", long.class)
                .handler((ctx, a) -> (long) a[0] * (long) a[1]))
        .register(
            TaskDefinition.named("proj.tasks.tsum")
                .param("values", List.class)
                .handler(
                    (ctx, a) ->
                        ((List<?>) a[0]).stream().mapToLong(v -> ((Number) v).longValue()).sum()))
        .register(
            TaskDefinition.named("proj.tasks.echo")
                .param("value", Object.class)
                .handler((ctx, a) -> a[0]))
        .register(
            TaskDefinition.named("proj.tasks.errback")
                .param("task_id", String.class)
                .handler((ctx, a) -> "errback saw " + a[0]))
        .register(
            // A new-style errback (more than one parameter): (request, exc, traceback).
            TaskDefinition.named("proj.java.on_error")
                .param("request", java.util.Map.class)
                .param("exc", java.util.Map.class)
                .param("traceback", String.class)
                .handler(
                    (ctx, a) ->
                        ((java.util.Map<?, ?>) a[1]).get("exc_type")
                            + " in "
                            + ((java.util.Map<?, ?>) a[0]).get("task")
                            + "["
                            + ((java.util.Map<?, ?>) a[0]).get("id")
                            + "]"))
        .register(
            TaskDefinition.named("proj.java.fail")
                .param("message", String.class)
                .handler(
                    (ctx, a) -> {
                      throw new IllegalStateException((String) a[0]);
                    }))
        .register(
            TaskDefinition.named("proj.java.flaky")
                .param("failures", int.class)
                .handler(
                    (ctx, a) -> {
                      if (ctx.retries() < (int) a[0]) {
                        throw ctx.retry(Duration.ofMillis(200));
                      }
                      return "ok after " + ctx.retries() + " retries";
                    }))
        .register(
            TaskDefinition.named("proj.java.sleep")
                .param("seconds", double.class)
                .handler(
                    (ctx, a) -> {
                      ctx.sleep(Duration.ofMillis(Math.round((double) a[0] * 1000)));
                      return a[0];
                    }))
        .register(
            TaskDefinition.named("proj.java.spin")
                .param("seconds", double.class)
                .handler( // deaf to interrupts: only the hard limit stops it
                    (ctx, a) ->
                        DebugTasks.spin(Duration.ofMillis(Math.round((double) a[0] * 1000)))));
  }
}
