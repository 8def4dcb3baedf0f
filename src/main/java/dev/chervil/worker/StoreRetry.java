package dev.chervil.worker;

import java.time.Duration;

/**
 * How often and how patiently a result store is retried when the backend is down: Celery's {@code
 * result_backend_always_retry} with {@code result_backend_max_retries} and its base/max sleep
 * between retries. Exponential backoff, doubling from {@code base} up to {@code max}.
 *
 * @param attempts tries in all, the first included (1 = no retry)
 */
public record StoreRetry(int attempts, Duration base, Duration max) {
  /** About 30 s of patience: 10 tries, 100 ms doubling to 5 s. */
  public static final StoreRetry DEFAULT =
      new StoreRetry(10, Duration.ofMillis(100), Duration.ofSeconds(5));

  public StoreRetry {
    if (attempts < 1) {
      throw new IllegalArgumentException("a store is tried at least once: " + attempts);
    }
  }

  /** The wait before try {@code n + 1}, after {@code n} failed. */
  long delayMillis(int n) {
    long d = base.toMillis() << Math.min(n - 1, 30);
    return Math.min(d < 0 ? Long.MAX_VALUE : d, max.toMillis());
  }
}
