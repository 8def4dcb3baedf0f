package dev.chervil.task;

/**
 * Raised inside a task when its soft limit fires: by {@link TaskContext#checkCancelled()}, {@link
 * TaskContext#sleep}, and by cancel-aware helpers such as the DuckDB query runner. A task may catch
 * it to clean up and return.
 */
public final class SoftTimeLimitExceeded extends RuntimeException {
  public SoftTimeLimitExceeded(String message) {
    super(message);
  }
}
