package dev.chervil.debug;

import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskModule;
import dev.chervil.task.TaskRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Diagnostic tasks for trying a worker, benchmarks and fault tests ({@code chervil.debug.*}).
 * Registered by the CLI's worker by default; in library use only when asked for.
 */
public final class DebugTasks implements TaskModule {
  /**
   * Set to "true" in a process-pool child JVM; tasks that would kill the worker itself check it.
   */
  public static final String CHILD_PROPERTY = "chervil.child";

  @Override
  public void register(TaskRegistry registry) {
    registry
        .register(TaskDefinition.named("chervil.debug.noop").handler((ctx, a) -> null))
        .register(
            TaskDefinition.named("chervil.debug.echo")
                .varArgs()
                // Arrays.asList, not List.of: arguments may be None (List.of refuses nulls).
                .handler((ctx, a) -> java.util.Arrays.asList(a)))
        .register(
            TaskDefinition.named("chervil.debug.sleep")
                .param("seconds", double.class)
                .handler(
                    (ctx, a) -> {
                      ctx.sleep(seconds(a[0]));
                      return a[0];
                    }))
        .register(
            TaskDefinition.named("chervil.debug.spin")
                .param("seconds", double.class)
                .handler((ctx, a) -> spin(seconds(a[0]))))
        .register(
            TaskDefinition.named("chervil.debug.fail")
                .param("message", String.class)
                .handler(
                    (ctx, a) -> {
                      throw new IllegalStateException((String) a[0]);
                    }))
        .register(
            TaskDefinition.named("chervil.debug.exit")
                .param("code", int.class)
                .handler(
                    (ctx, a) -> {
                      requireChild("chervil.debug.exit");
                      System.exit((int) a[0]);
                      return null;
                    }))
        .register(
            TaskDefinition.named("chervil.debug.hog")
                .param("megabytes", int.class)
                .handler((ctx, a) -> hog((int) a[0])))
        .register(
            TaskDefinition.named("chervil.debug.now")
                .handler((ctx, a) -> ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now())))
        .register(
            TaskDefinition.named("chervil.debug.spawn_sleep")
                .param("seconds", double.class)
                .handler((ctx, a) -> spawnSleep((double) a[0])))
        .register(
            TaskDefinition.named("chervil.debug.spawn_stubborn_sleep")
                .param("seconds", double.class)
                .handler((ctx, a) -> spawnStubbornSleep((double) a[0])))
        .register(
            TaskDefinition.named("chervil.debug.unencodable")
                .handler((ctx, a) -> new Object())); // Jackson: no serializer, no properties
  }

  /**
   * A busy loop that never looks at interrupts or the context: it stands in for native code that
   * only a hard limit can stop.
   */
  public static long spin(Duration duration) {
    long end = System.nanoTime() + duration.toNanos();
    long iterations = 0;
    while (System.nanoTime() < end) {
      iterations++;
      Thread.onSpinWait();
    }
    return iterations;
  }

  /** Starts a {@code sleep} subprocess, then hangs like stuck native code: a grandchild to leak. */
  private static Object spawnSleep(double seconds) throws IOException {
    Process sleeper =
        new ProcessBuilder("sleep", Double.toString(seconds))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    spin(seconds(seconds));
    return sleeper.pid();
  }

  /**
   * Like spawn_sleep, but the {@code sleep} ignores SIGTERM and SIGHUP (ignored dispositions
   * survive exec): a subprocess that only SIGKILL ends, so a hard kill takes its full grace period.
   */
  private static Object spawnStubbornSleep(double seconds) throws IOException {
    Process sleeper =
        new ProcessBuilder("sh", "-c", "trap '' TERM HUP; exec sleep " + seconds)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    spin(seconds(seconds));
    return sleeper.pid();
  }

  /** Holds {@code megabytes} of heap, to drive a child out of memory. */
  private static Object hog(int megabytes) {
    List<byte[]> held = new ArrayList<>();
    for (int i = 0; i < megabytes; i++) {
      held.add(new byte[1 << 20]);
    }
    return held.size();
  }

  private static void requireChild(String task) {
    if (!Boolean.getBoolean(CHILD_PROPERTY)) {
      throw new IllegalStateException(
          task
              + " only runs in a process-pool child (-P processes):"
              + " here it would end the worker itself");
    }
  }

  private static Duration seconds(Object s) {
    return Duration.ofNanos(Math.round(((Number) s).doubleValue() * 1e9));
  }
}
