package dev.chervil.bench;

import java.nio.file.Path;

/**
 * Where the side-by-side run finds its parts: the broker, the built jar, the JDK, Python, and the
 * scratch directory holding {@code celery_bench.py} and the processes' logs.
 */
public record BenchEnv(
    String broker, Path jar, String java, String python, Path workDir, String chervilLogLevel) {

  /** The JDK running this bench also runs the workers, so both sides use the same one. */
  public static String currentJava() {
    return ProcessHandle.current().info().command().orElse("java");
  }
}
