package dev.chervil.task;

import dev.chervil.limits.TimeLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A registered task: its name on the wire, its parameters, its code and its options.
 *
 * <pre>{@code
 * TaskDefinition.named("proj.tasks.add")
 *     .param("x", long.class).param("y", long.class)
 *     .handler((ctx, a) -> (long) a[0] + (long) a[1])
 * }</pre>
 */
public record TaskDefinition(
    String name,
    List<Param> params,
    boolean varArgs,
    boolean varKwargs,
    TaskHandler handler,
    TaskOptions options) {

  public TaskDefinition {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(handler, "handler of " + name);
    params = List.copyOf(params);
    options = options == null ? TaskOptions.DEFAULTS : options;
  }

  public static Builder named(String name) {
    return new Builder(name);
  }

  /** Fluent assembly; {@link #handler} ends it. */
  public static final class Builder {
    private final String name;
    private final List<Param> params = new ArrayList<>();
    private boolean varArgs;
    private boolean varKwargs;
    private String queue;
    private TimeLimits limits = TimeLimits.NONE;
    private Boolean acksLate;
    private boolean ignoreResult;
    private final List<Class<? extends Throwable>> autoretryFor = new ArrayList<>();
    private int maxRetries = TaskOptions.DEFAULTS.maxRetries();
    private Duration defaultRetryDelay = TaskOptions.DEFAULTS.defaultRetryDelay();
    private Duration retryBackoff;
    private Duration retryBackoffMax = TaskOptions.DEFAULTS.retryBackoffMax();
    private boolean retryJitter = true;
    private Boolean trackStarted;

    private Builder(String name) {
      this.name = name;
    }

    public Builder param(String paramName, Class<?> type) {
      params.add(Param.of(paramName, type));
      return this;
    }

    public Builder optionalParam(String paramName, Class<?> type) {
      params.add(Param.optional(paramName, type));
      return this;
    }

    /** Accept any positional arguments as raw JSON values (no checking). */
    public Builder varArgs() {
      varArgs = true;
      return this;
    }

    /**
     * Accept keyword arguments no parameter names, like Python's {@code **kwargs}; the task reads
     * them from {@code ctx.request().kwargs()}. Without it an unknown keyword is a TypeError, as in
     * Python.
     */
    public Builder varKwargs() {
      varKwargs = true;
      return this;
    }

    public Builder queue(String q) {
      queue = q;
      return this;
    }

    public Builder timeLimits(TimeLimits l) {
      limits = l;
      return this;
    }

    public Builder acksLate(boolean v) {
      acksLate = v;
      return this;
    }

    public Builder ignoreResult(boolean v) {
      ignoreResult = v;
      return this;
    }

    public Builder maxRetries(int v) {
      maxRetries = v;
      return this;
    }

    public Builder defaultRetryDelay(Duration d) {
      defaultRetryDelay = d;
      return this;
    }

    public Builder retryBackoff(Duration base) {
      retryBackoff = base;
      return this;
    }

    public Builder retryBackoffMax(Duration max) {
      retryBackoffMax = max;
      return this;
    }

    public Builder retryJitter(boolean v) {
      retryJitter = v;
      return this;
    }

    /** Store STARTED when this task starts, whatever the worker's {@code --track-started}. */
    public Builder trackStarted(boolean v) {
      trackStarted = v;
      return this;
    }

    public Builder autoretryFor(Class<? extends Throwable> type) {
      autoretryFor.add(type);
      return this;
    }

    public TaskDefinition handler(TaskHandler handler) {
      TaskOptions options =
          new TaskOptions(
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
              trackStarted);
      return new TaskDefinition(name, params, varArgs, varKwargs, handler, options);
    }
  }
}
