package dev.chervil.task;

/** The message's args/kwargs do not fit the task's parameters (Celery would raise TypeError). */
public final class ArgumentMismatchException extends Exception {
  public ArgumentMismatchException(String message) {
    super(message);
  }
}
