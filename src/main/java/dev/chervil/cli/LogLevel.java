package dev.chervil.cli;

import java.util.Locale;

/** Celery's log level names mapped onto the logging backend (slf4j-simple). */
final class LogLevel {
  private LogLevel() {}

  /**
   * Sets the default level; takes effect for loggers created afterwards, so a command calls it
   * first.
   */
  static void set(String celeryName) {
    String level =
        switch (celeryName.toUpperCase(Locale.ROOT)) {
          case "DEBUG" -> "debug";
          case "INFO" -> "info";
          case "WARNING", "WARN" -> "warn";
          case "ERROR", "CRITICAL", "FATAL" -> "error";
          default ->
              throw new IllegalArgumentException(
                  "unknown log level '"
                      + celeryName
                      + "': use DEBUG, INFO, WARNING, ERROR or CRITICAL");
        };
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
  }
}
