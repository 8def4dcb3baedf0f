package dev.chervil.broker;

/** A broker operation failed; the message names the operation and the broker. */
public final class TransportException extends RuntimeException {
  public TransportException(String message, Throwable cause) {
    super(message, cause);
  }

  public TransportException(String message) {
    super(message);
  }
}
