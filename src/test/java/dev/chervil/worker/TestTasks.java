package dev.chervil.worker;

import dev.chervil.interop.InteropTasks;
import dev.chervil.task.SoftTimeLimitExceeded;
import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Tasks that record how they were called, for worker specifications. One instance per test. */
final class TestTasks {
  final Map<Object, AtomicInteger> runs = new ConcurrentHashMap<>();
  final List<Long> startedAtMillis = new CopyOnWriteArrayList<>();
  // test.record: when each run of an id began (System.nanoTime), in order.
  final Map<String, List<Long>> runStarts = new ConcurrentHashMap<>();

  TaskRegistry registry() {
    return new TaskRegistry()
        .register(new dev.chervil.debug.DebugTasks())
        .register(new InteropTasks()) // proj.tasks.add, tsum, errback: the names Python uses
        .register(
            TaskDefinition.named("test.count")
                .param("n", int.class)
                .handler(
                    (ctx, a) -> {
                      runs.computeIfAbsent(a[0], k -> new AtomicInteger()).incrementAndGet();
                      return a[0];
                    }))
        .register(
            TaskDefinition.named("test.record")
                .param("id", String.class)
                .param("millis", int.class)
                .handler(
                    (ctx, a) -> {
                      runStarts
                          .computeIfAbsent((String) a[0], k -> new CopyOnWriteArrayList<>())
                          .add(System.nanoTime());
                      ctx.sleep(Duration.ofMillis((Integer) a[1])); // the work it stands for
                      return a[0];
                    }))
        .register(
            TaskDefinition.named("test.stamp")
                .handler(
                    (ctx, a) -> {
                      startedAtMillis.add(System.currentTimeMillis());
                      runs.computeIfAbsent("stamp", k -> new AtomicInteger()).incrementAndGet();
                      return "ran";
                    }))
        .register(
            TaskDefinition.named("test.catches_soft_limit")
                .handler(
                    (ctx, a) -> {
                      try {
                        ctx.sleep(Duration.ofSeconds(30));
                        return "slept";
                      } catch (SoftTimeLimitExceeded e) {
                        return "cleaned";
                      }
                    }))
        .register(
            TaskDefinition.named("test.retry_twice")
                .handler(
                    (ctx, a) -> {
                      startedAtMillis.add(System.currentTimeMillis());
                      if (ctx.retries() < 2) {
                        throw ctx.retry(Duration.ofMillis(300));
                      }
                      return ctx.retries();
                    }))
        .register(
            TaskDefinition.named("test.always_io_error")
                .autoretryFor(IOException.class)
                .maxRetries(2)
                .retryBackoff(Duration.ofMillis(50))
                .handler(
                    (ctx, a) -> {
                      runs.computeIfAbsent("io", k -> new AtomicInteger()).incrementAndGet();
                      throw new IOException("disk on fire");
                    }));
  }

  int runsOf(Object key) {
    AtomicInteger n = runs.get(key);
    return n == null ? 0 : n.get();
  }
}
