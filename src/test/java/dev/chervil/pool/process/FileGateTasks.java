package dev.chervil.pool.process;

import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskModule;
import dev.chervil.task.TaskRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * A gate across processes, for tests that count what runs at once in child JVMs: {@code
 * test.file_gate(dir)} marks itself inside with a file in {@code dir} and waits until the file
 * {@code open} appears there, then removes its mark and returns its child's pid. Loaded by name in
 * the children ({@code PoolSpec.withModules}).
 */
public final class FileGateTasks implements TaskModule {
  static final String OPEN = "open";

  @Override
  public void register(TaskRegistry registry) {
    registry.register(
        TaskDefinition.named("test.file_gate")
            .param("dir", String.class)
            .handler(
                (ctx, a) -> {
                  Path dir = Path.of((String) a[0]);
                  long pid = ProcessHandle.current().pid();
                  Path mark = Files.createFile(dir.resolve("inside-" + ctx.request().id()));
                  try {
                    while (!Files.exists(dir.resolve(OPEN))) {
                      ctx.sleep(Duration.ofMillis(10)); // a child has nothing better to wait on
                    }
                    return pid;
                  } finally {
                    Files.delete(mark);
                  }
                }));
  }

  /** How many gate tasks are inside {@code dir} now. */
  static long inside(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().startsWith("inside-")).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void open(Path dir) throws IOException {
    Files.createFile(dir.resolve(OPEN));
  }
}
