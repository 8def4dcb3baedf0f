package dev.chervil.protocol;

/** A message that cannot be understood as a Celery task; the reason is meant for one log line. */
public final class MalformedMessageException extends Exception {
  public MalformedMessageException(String reason) {
    super(reason);
  }

  public MalformedMessageException(String reason, Throwable cause) {
    super(reason, cause);
  }
}
