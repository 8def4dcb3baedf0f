package dev.chervil.task;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Tasks by name. Registration happens at start-up; lookups are lock-free afterwards. */
public final class TaskRegistry {
  private final Map<String, TaskDefinition> tasks = new ConcurrentHashMap<>();

  /** A registry holding Celery's built-in tasks ({@code celery.map}, ...), as every Celery app. */
  public TaskRegistry() {
    register(new dev.chervil.canvas.BuiltinTasks());
  }

  public TaskRegistry register(TaskDefinition definition) {
    TaskDefinition previous = tasks.putIfAbsent(definition.name(), definition);
    if (previous != null) {
      throw new IllegalArgumentException("task already registered: " + definition.name());
    }
    return this;
  }

  public TaskRegistry register(TaskModule module) {
    module.register(this);
    return this;
  }

  /** Instantiates a {@link TaskModule} by class name, as a child JVM does with {@code --app}. */
  public TaskRegistry registerModule(String className) {
    try {
      Class<?> type = Class.forName(className);
      return register((TaskModule) type.getDeclaredConstructor().newInstance());
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IllegalArgumentException(
          "cannot load task module "
              + className
              + ": it must implement "
              + TaskModule.class.getName()
              + " and have a public no-argument constructor",
          e);
    }
  }

  public Optional<TaskDefinition> find(String name) {
    return Optional.ofNullable(tasks.get(name));
  }

  public Collection<TaskDefinition> all() {
    return tasks.values();
  }
}
