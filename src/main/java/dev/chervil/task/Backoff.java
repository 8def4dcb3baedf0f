package dev.chervil.task;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Celery's autoretry delay: {@code min(max, base * 2^retries)}, then with full jitter a uniform
 * draw from [0, that].
 */
public final class Backoff {
  private Backoff() {}

  public static Duration delay(TaskOptions options, int retries) {
    if (options.retryBackoff() == null) {
      return options.defaultRetryDelay();
    }
    long base = options.retryBackoff().toMillis();
    long cap = options.retryBackoffMax().toMillis();
    long exp = retries >= 62 ? cap : Math.min(cap, base * (1L << Math.min(retries, 30)));
    long millis = options.retryJitter() ? ThreadLocalRandom.current().nextLong(exp + 1) : exp;
    return Duration.ofMillis(millis);
  }
}
