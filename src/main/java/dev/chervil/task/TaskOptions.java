package dev.chervil.task;

import dev.chervil.limits.TimeLimits;
import java.util.List;

/**
 * Per-task options, the counterparts of Celery's task decorator options. Null means "the worker's
 * default".
 *
 * @param autoretryFor exception types that make the task retry instead of failing
 * @param retryBackoff base delay of the exponential backoff for autoretry (null: no backoff)
 * @param retryBackoffMax cap on that delay
 * @param retryJitter whether the backoff delay is drawn at random from [0, delay]
 * @param trackStarted store STARTED when the task starts (Celery's {@code track_started}); null:
 *     the worker's {@code --track-started}
 */
public record TaskOptions(
    String queue,
    TimeLimits limits,
    Boolean acksLate,
    boolean ignoreResult,
    List<Class<? extends Throwable>> autoretryFor,
    int maxRetries,
    java.time.Duration defaultRetryDelay,
    java.time.Duration retryBackoff,
    java.time.Duration retryBackoffMax,
    boolean retryJitter,
    Boolean trackStarted) {

  /** Celery's defaults: max_retries 3, default_retry_delay 180 s, backoff max 600 s, jitter on. */
  public static final TaskOptions DEFAULTS =
      new TaskOptions(
          null,
          TimeLimits.NONE,
          null,
          false,
          List.of(),
          3,
          java.time.Duration.ofSeconds(180),
          null,
          java.time.Duration.ofSeconds(600),
          true);

  public TaskOptions(
      String queue,
      TimeLimits limits,
      Boolean acksLate,
      boolean ignoreResult,
      List<Class<? extends Throwable>> autoretryFor,
      int maxRetries,
      java.time.Duration defaultRetryDelay,
      java.time.Duration retryBackoff,
      java.time.Duration retryBackoffMax,
      boolean retryJitter) {
    this(
        queue,
        limits,
        acksLate,
        ignoreResult,
        autoretryFor,
        maxRetries,
        defaultRetryDelay,
        retryBackoff,
        retryBackoffMax,
        retryJitter,
        null);
  }

  public TaskOptions {
    limits = limits == null ? TimeLimits.NONE : limits;
    autoretryFor = autoretryFor == null ? List.of() : List.copyOf(autoretryFor);
  }
}
