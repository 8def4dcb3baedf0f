package dev.chervil.control;

import dev.chervil.limits.TimeLimits;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-task-name settings changed at run time by {@code rate_limit} and {@code time_limit}. The
 * worker asks {@link #admit} before it starts a task and {@link #limits} when it builds one.
 *
 * <p>A rate is Celery's: {@code "10/m"} (per s, m or h; a bare number is per second), enforced as
 * Celery's token bucket of capacity 1 — at most one start per {@code 1/rate} seconds. Here a start
 * reserves the next free moment, so tasks that wait are spaced evenly rather than racing.
 */
public final class TaskOverrides {
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final Map<String, TimeLimits> limits = new ConcurrentHashMap<>();

  /**
   * Sets (or with null/0, removes) the rate limit of {@code taskName}.
   *
   * @throws IllegalArgumentException for a rate Celery would refuse
   */
  public void rateLimit(String taskName, String rate) {
    double perSecond = parseRate(rate);
    if (perSecond <= 0) {
      buckets.remove(taskName);
    } else {
      buckets.put(taskName, new Bucket((long) (1e9 / perSecond)));
    }
  }

  public String rateLimitOf(String taskName) {
    Bucket b = buckets.get(taskName);
    return b == null ? null : b.toString();
  }

  /**
   * Reserves a start of {@code taskName}: 0 if it may start now, else the nanoseconds to wait
   * before starting it (that start is then already counted).
   */
  public long admit(String taskName) {
    Bucket b = buckets.get(taskName);
    return b == null ? 0 : b.reserve(System.nanoTime());
  }

  public void timeLimits(String taskName, TimeLimits l) {
    if (l == null || l.equals(TimeLimits.NONE)) {
      limits.remove(taskName);
    } else {
      limits.put(taskName, l);
    }
  }

  /** Limits set by {@code time_limit} for {@code taskName}, or {@link TimeLimits#NONE}. */
  public TimeLimits limits(String taskName) {
    return limits.getOrDefault(taskName, TimeLimits.NONE);
  }

  /** Tasks per second of {@code "10/m"}-style rates; 0 for none. */
  static double parseRate(String rate) {
    if (rate == null || rate.isBlank()) {
      return 0;
    }
    String r = rate.strip().toLowerCase(Locale.ROOT);
    int slash = r.indexOf('/');
    String count = slash < 0 ? r : r.substring(0, slash);
    String unit = slash < 0 ? "s" : r.substring(slash + 1);
    double n;
    try {
      n = Double.parseDouble(count);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("invalid rate limit '" + rate + "': expected e.g. 10/m");
    }
    double seconds =
        switch (unit.isEmpty() ? 's' : unit.charAt(0)) {
          case 's' -> 1;
          case 'm' -> 60;
          case 'h' -> 3600;
          default ->
              throw new IllegalArgumentException(
                  "invalid rate limit '" + rate + "': unit must be s, m or h");
        };
    if (n < 0) {
      throw new IllegalArgumentException("invalid rate limit '" + rate + "': negative");
    }
    return n / seconds;
  }

  private static final class Bucket {
    private final long intervalNanos;
    private long next; // guarded by this; the earliest nanoTime of the next start

    Bucket(long intervalNanos) {
      this.intervalNanos = intervalNanos;
      this.next = System.nanoTime();
    }

    synchronized long reserve(long now) {
      long at = Math.max(now, next);
      next = at + intervalNanos;
      return at - now;
    }

    @Override
    public String toString() {
      return (1e9 / intervalNanos) + "/s";
    }
  }
}
