package dev.chervil.pool.process;

/** A child JVM did not come up: it exited, broke the handshake or missed the start timeout. */
final class ChildStartException extends Exception {
  ChildStartException(String message) {
    super(message);
  }

  ChildStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
