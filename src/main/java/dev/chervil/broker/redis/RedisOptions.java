package dev.chervil.broker.redis;

import java.time.Duration;

/**
 * How the Redis transport behaves beyond its URL.
 *
 * @param visibilityTimeout kombu's {@code visibility_timeout}: an unacked delivery older than this
 *     is pushed back to its queue by whichever consumer restores first. Every Python and Chervil
 *     consumer of one database must use the same value.
 * @param refreshInterval how often the deliveries this transport holds are re-scored in {@code
 *     unacked_index}, so they never look older than this to a restorer
 * @param restoreInterval how often this transport runs kombu's {@code restore_visible}
 */
public record RedisOptions(
    Duration visibilityTimeout, Duration refreshInterval, Duration restoreInterval) {
  /** kombu's default {@code visibility_timeout}. */
  public static final Duration KOMBU_VISIBILITY_TIMEOUT = Duration.ofHours(1);

  public RedisOptions {
    if (visibilityTimeout == null || visibilityTimeout.isNegative() || visibilityTimeout.isZero()) {
      throw new IllegalArgumentException(
          "visibility timeout must be positive: " + visibilityTimeout);
    }
    if (refreshInterval.compareTo(visibilityTimeout) >= 0) {
      throw new IllegalArgumentException(
          "refresh interval " + refreshInterval + " must be shorter than " + visibilityTimeout);
    }
  }

  public static RedisOptions defaults() {
    return withVisibilityTimeout(KOMBU_VISIBILITY_TIMEOUT);
  }

  /**
   * Refresh at a quarter of the timeout (a held delivery is never scored more than that in the
   * past); restore at half of it, at most once a minute (kombu checks about every 100 s).
   */
  public static RedisOptions withVisibilityTimeout(Duration visibilityTimeout) {
    Duration quarter = visibilityTimeout.dividedBy(4);
    Duration half = visibilityTimeout.dividedBy(2);
    Duration minute = Duration.ofMinutes(1);
    return new RedisOptions(
        visibilityTimeout,
        quarter.isZero() ? Duration.ofMillis(1) : quarter,
        half.compareTo(minute) > 0 ? minute : (half.isZero() ? Duration.ofMillis(1) : half));
  }
}
