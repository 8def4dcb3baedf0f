package dev.chervil.canvas;

import dev.chervil.task.ArgumentBinder;
import dev.chervil.task.TaskContext;
import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskModule;
import dev.chervil.task.TaskRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Celery's built-in tasks ({@code celery/app/builtins.py}), registered in every {@link
 * TaskRegistry} as a Celery app registers them:
 *
 * <ul>
 *   <li>{@code celery.map(task, it)}, {@code celery.starmap(task, it)}: the named task's code run
 *       inline for each item, {@code task(item)} / {@code task(*item)}, returning the list of
 *       results (Celery calls {@code signature(task).type}, so the signature's own arguments are
 *       ignored).
 *   <li>{@code celery.chunks(task, it, n)}: the items in parts of {@code n}, each part a starmap.
 *       Celery's worker publishes the parts as a group of {@code celery.starmap} tasks; here they
 *       run inline and the task returns the list of the parts' lists, the value {@code get()} on
 *       Celery's group gives.
 *   <li>{@code celery.accumulate(*args, index=None)}: {@code args[index]}, or all of them.
 *   <li>{@code celery.backend_cleanup()}: nothing to do (Redis expires results by itself; Celery's
 *       Redis and rpc backends do nothing either).
 *   <li>{@code celery.group}, {@code celery.chord}, {@code celery.chain}: they publish messages, so
 *       they run in the worker process, not in a pool (see {@link #IN_WORKER}); registered so the
 *       intake accepts them and checks their arguments.
 * </ul>
 *
 * <p>These run where tasks run (a thread or a child JVM), so each looks up the named task in the
 * registry it was registered in.
 */
public final class BuiltinTasks implements TaskModule {
  /** The built-ins that publish messages and therefore run in the worker process itself. */
  public static final Set<String> IN_WORKER =
      Set.of("celery.group", "celery.chord", "celery.chain");

  @Override
  public void register(TaskRegistry registry) {
    registry
        .register(
            TaskDefinition.named("celery.map")
                .param("task", Map.class)
                .param("it", List.class)
                .handler((ctx, a) -> map(registry, ctx, a[0], (List<?>) a[1], false)))
        .register(
            TaskDefinition.named("celery.starmap")
                .param("task", Map.class)
                .param("it", List.class)
                .handler((ctx, a) -> map(registry, ctx, a[0], (List<?>) a[1], true)))
        .register(
            TaskDefinition.named("celery.chunks")
                .param("task", Map.class)
                .param("it", List.class)
                .param("n", int.class)
                .handler((ctx, a) -> chunks(registry, ctx, a[0], (List<?>) a[1], (int) a[2])))
        .register(
            TaskDefinition.named("celery.accumulate")
                .varArgs()
                .varKwargs()
                .handler(
                    (ctx, a) -> {
                      Object index = ctx.request().kwargs().get("index");
                      return index instanceof Number n
                          ? a[n.intValue()]
                          : java.util.Arrays.asList(a);
                    }))
        .register(TaskDefinition.named("celery.backend_cleanup").handler((ctx, a) -> null))
        .register(inWorker("celery.group"))
        .register(inWorker("celery.chord"))
        .register(inWorker("celery.chain"));
  }

  private static TaskDefinition inWorker(String name) {
    return TaskDefinition.named(name)
        .varArgs()
        .varKwargs()
        .handler(
            (ctx, a) -> {
              throw new IllegalStateException(
                  name + " publishes messages: it runs in the worker process, not in a pool");
            });
  }

  private static List<Object> map(
      TaskRegistry registry, TaskContext ctx, Object signature, List<?> items, boolean star)
      throws Exception {
    TaskDefinition task = named(registry, signature);
    List<Object> results = new ArrayList<>(items.size());
    for (Object item : items) {
      List<Object> args = star ? asArgs(item) : java.util.Arrays.asList(item);
      results.add(task.handler().run(ctx, ArgumentBinder.bind(task, args, Map.of())));
    }
    return results;
  }

  private static List<Object> chunks(
      TaskRegistry registry, TaskContext ctx, Object signature, List<?> items, int n)
      throws Exception {
    if (n < 1) {
      throw new IllegalArgumentException("chunks of " + n + " items");
    }
    List<Object> parts = new ArrayList<>();
    for (int i = 0; i < items.size(); i += n) {
      parts.add(
          map(registry, ctx, signature, items.subList(i, Math.min(items.size(), i + n)), true));
    }
    return parts;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> asArgs(Object item) {
    if (item instanceof List<?> l) {
      return (List<Object>) l;
    }
    throw new IllegalArgumentException("starmap item is not a list of arguments: " + item);
  }

  private static TaskDefinition named(TaskRegistry registry, Object signature) {
    Object name = signature instanceof Map<?, ?> m ? m.get("task") : null;
    if (!(name instanceof String n)) {
      throw new IllegalArgumentException("not a signature: " + signature);
    }
    return registry
        .find(n)
        .orElseThrow(() -> new IllegalArgumentException("NotRegistered: '" + n + "'"));
  }
}
