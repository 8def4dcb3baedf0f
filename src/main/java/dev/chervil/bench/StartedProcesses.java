package dev.chervil.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Every process the bench starts, so that each is stopped by its pid with its whole tree (a Celery
 * prefork worker's forks, a Chervil worker's child JVMs) — at the end of its turn, on failure, and
 * from a shutdown hook if the bench itself is interrupted. {@link #close()} is idempotent.
 */
final class StartedProcesses implements AutoCloseable {
  private static final Duration GRACE = Duration.ofSeconds(15);

  private final List<Process> running = new ArrayList<>();
  private final Thread hook = new Thread(this::close, "chervil-bench-cleanup");

  StartedProcesses() {
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Starts {@code argv} in {@code dir} with stdout and stderr appended to {@code log}. */
  synchronized Process start(List<String> argv, Path dir, Map<String, String> env, Path log)
      throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(argv)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    Process p = pb.start();
    running.add(p);
    return p;
  }

  /**
   * Stops {@code p} as its operator would (SIGTERM: Celery's warm shutdown, Chervil's drain), then
   * SIGKILLs whatever of its tree is left after the grace period, and reaps it.
   */
  void stop(Process p) throws InterruptedException {
    synchronized (this) {
      running.remove(p);
    }
    List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
    p.destroy();
    if (!p.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
      tree.addAll(p.descendants().toList());
      p.destroyForcibly();
      p.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }
    for (ProcessHandle h : tree) {
      if (h.isAlive()) {
        h.destroyForcibly();
        h.onExit().orTimeout(GRACE.toMillis(), TimeUnit.MILLISECONDS).exceptionally(e -> h).join();
      }
    }
  }

  @Override
  public void close() {
    List<Process> left;
    synchronized (this) {
      left = new ArrayList<>(running);
    }
    for (Process p : left) {
      try {
        stop(p);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // close() is the hook itself
    }
  }
}
