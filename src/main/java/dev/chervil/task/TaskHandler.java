package dev.chervil.task;

/**
 * A task's code. {@code args} are already converted to the declared parameter types, in declared
 * order (keyword arguments placed by name); a varargs task gets the raw JSON values.
 */
@FunctionalInterface
public interface TaskHandler {
  Object run(TaskContext ctx, Object[] args) throws Exception;
}
