package dev.chervil.canvas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.task.Outcome;
import dev.chervil.task.TaskContext;
import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskRegistry;
import dev.chervil.task.TaskRequest;
import dev.chervil.task.TaskRunner;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Celery's built-ins as the messages Python sends for them ({@code add.starmap(...)} etc.). */
class BuiltinTasksTest {
  private final TaskRunner runner =
      new TaskRunner(
          new TaskRegistry()
              .register(
                  TaskDefinition.named("proj.tasks.add")
                      .param("x", long.class)
                      .param("y", long.class)
                      .handler((ctx, a) -> (long) a[0] + (long) a[1]))
              .register(
                  TaskDefinition.named("proj.tasks.double")
                      .param("x", long.class)
                      .handler((ctx, a) -> 2 * (long) a[0])));

  private Object run(String name, List<Object> args, Map<String, Object> kwargs) {
    Outcome o =
        runner.run(
            new TaskContext(new TaskRequest("t", name, args, kwargs, 0, "t", null, null, null)));
    return assertInstanceOf(Outcome.Ok.class, o, String.valueOf(o)).result();
  }

  private static Map<String, Object> sig(String task) {
    return Map.of("task", task, "args", List.of(99), "kwargs", Map.of(), "options", Map.of());
  }

  @Test
  void mapStarmapAndChunksCallTheNamedTaskForEachItemIgnoringTheSignaturesArgs() {
    assertEquals(
        List.of(2L, 4L),
        run(
            "celery.map",
            List.of(),
            Map.of("task", sig("proj.tasks.double"), "it", List.of(1, 2))));
    assertEquals(
        List.of(3L, 7L),
        run(
            "celery.starmap",
            List.of(),
            Map.of("task", sig("proj.tasks.add"), "it", List.of(List.of(1, 2), List.of(3, 4)))));
    assertEquals(
        List.of(List.of(2L, 4L), List.of(6L)),
        run(
            "celery.chunks",
            List.of(),
            Map.of(
                "task",
                sig("proj.tasks.add"),
                "it",
                List.of(List.of(1, 1), List.of(2, 2), List.of(3, 3)),
                "n",
                2)));
  }

  @Test
  void accumulateAndBackendCleanupDoWhatCelerysDo() {
    assertEquals(List.of(1, 2, 3), run("celery.accumulate", List.of(1, 2, 3), Map.of()));
    assertEquals(2, run("celery.accumulate", List.of(1, 2, 3), Map.of("index", 1)));
    assertEquals(null, run("celery.backend_cleanup", List.of(), Map.of()));
  }

  @Test
  void thePublishingBuiltinsAreRegisteredButRefuseToRunInAPool() {
    for (String name : BuiltinTasks.IN_WORKER) {
      Outcome o = runner.run(new TaskContext(TaskRequest.of("t", name, List.of())));
      assertTrue(
          o instanceof Outcome.Failed f && f.error().message().contains("worker process"),
          String.valueOf(o));
    }
  }
}
