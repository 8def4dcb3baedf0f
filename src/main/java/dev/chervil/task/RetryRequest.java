package dev.chervil.task;

import java.time.Duration;

/** Thrown by a task (via {@link TaskContext#retry}) to be run again after {@code countdown}. */
public final class RetryRequest extends RuntimeException {
  private final Duration countdown;
  private final Integer maxRetries;

  RetryRequest(Duration countdown, Integer maxRetries, Throwable cause) {
    super("retry in " + countdown.toMillis() + "ms", cause, false, false);
    this.countdown = countdown;
    this.maxRetries = maxRetries;
  }

  public Duration countdown() {
    return countdown;
  }

  public Integer maxRetries() {
    return maxRetries;
  }
}
