package dev.chervil.limits;

import java.time.Duration;

/**
 * A task's soft and hard limits; either may be null (no limit). The soft limit asks the task to
 * stop; the hard limit stops it from outside.
 */
public record TimeLimits(Duration soft, Duration hard) {
  public static final TimeLimits NONE = new TimeLimits(null, null);

  public TimeLimits {
    if (soft != null && (soft.isNegative() || soft.isZero())) {
      throw new IllegalArgumentException("soft time limit must be positive: " + soft);
    }
    if (hard != null && (hard.isNegative() || hard.isZero())) {
      throw new IllegalArgumentException("hard time limit must be positive: " + hard);
    }
  }

  public static TimeLimits ofSeconds(Double soft, Double hard) {
    return new TimeLimits(seconds(soft), seconds(hard));
  }

  /** This limit where set, else the fallback's: a per-message limit beats a per-task default. */
  public TimeLimits orElse(TimeLimits fallback) {
    return new TimeLimits(soft != null ? soft : fallback.soft, hard != null ? hard : fallback.hard);
  }

  private static Duration seconds(Double s) {
    if (s == null || s <= 0) {
      return null;
    }
    return Duration.ofNanos(Math.round(s * 1e9));
  }
}
