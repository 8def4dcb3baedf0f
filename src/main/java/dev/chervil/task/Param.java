package dev.chervil.task;

/**
 * One declared parameter. {@code type} is what the JSON value is converted to (by Jackson); a
 * parameter with {@code optional} may be missing and is then null (or the primitive's zero).
 */
public record Param(String name, Class<?> type, boolean optional) {
  public static Param of(String name, Class<?> type) {
    return new Param(name, type, false);
  }

  public static Param optional(String name, Class<?> type) {
    return new Param(name, type, true);
  }
}
