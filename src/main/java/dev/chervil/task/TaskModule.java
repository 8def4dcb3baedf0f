package dev.chervil.task;

/**
 * An application's tasks, registered by one class with a public no-argument constructor. Naming the
 * class (the CLI's {@code --app}) is how a child JVM of the process pool learns the same tasks as
 * the worker, like Celery's {@code -A proj}.
 */
public interface TaskModule {
  void register(TaskRegistry registry);
}
