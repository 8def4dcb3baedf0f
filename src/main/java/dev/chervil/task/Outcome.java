package dev.chervil.task;

import java.time.Duration;

/**
 * How one execution of a task ended. Pools produce it, the worker settles the message and the
 * result from it, the census log line names it ({@link #label()}).
 */
public sealed interface Outcome {

  /** The word used in census log lines: ok, failed, soft-timeout, hard-timeout, lost, retry. */
  String label();

  record Ok(Object result) implements Outcome {
    public String label() {
      return "ok";
    }
  }

  record Failed(TaskError error) implements Outcome {
    public String label() {
      return "failed";
    }
  }

  /**
   * The soft limit fired and the task let {@link SoftTimeLimitExceeded} (or an interrupt) escape.
   */
  record SoftTimedOut(TaskError error) implements Outcome {
    public String label() {
      return "soft-timeout";
    }
  }

  /** The hard limit fired; the thread was abandoned or the child's process tree killed. */
  record HardKilled(Duration limit) implements Outcome {
    public String label() {
      return "hard-timeout";
    }

    public TaskError error() {
      return TaskError.celery(
          "TimeLimitExceeded", "hard time limit (" + limit.toMillis() / 1000.0 + "s) exceeded");
    }
  }

  /** The process running the task died under it (exit, crash, killed from outside). */
  record Lost(String reason) implements Outcome {
    public String label() {
      return "lost";
    }

    public TaskError error() {
      return TaskError.celery("WorkerLostError", reason);
    }
  }

  /** The task asked to run again ({@link TaskContext#retry}) or autoretry matched its exception. */
  record RetryRequested(Duration countdown, TaskError cause, Integer maxRetries)
      implements Outcome {
    public String label() {
      return "retry";
    }
  }
}
