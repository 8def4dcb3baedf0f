package dev.chervil.protocol;

/**
 * A message that cannot be understood as a Celery task; the reason is meant for one log line. It
 * names the Python exception a caller waiting on the task should see ({@link #excType()} in {@link
 * #excModule()}): {@code ContentDisallowed} for a refused serializer, {@code NotImplementedError}
 * for protocol 1, {@code DecodeError} for a body that does not parse, {@code ValueError} for a
 * value out of bounds.
 */
public final class MalformedMessageException extends Exception {
  private final String excType;
  private final String excModule;

  public MalformedMessageException(String reason) {
    this(reason, "ValueError", "builtins");
  }

  public MalformedMessageException(String reason, String excType, String excModule) {
    super(reason);
    this.excType = excType;
    this.excModule = excModule;
  }

  public MalformedMessageException(String reason, Throwable cause) {
    super(reason, cause);
    this.excType = "ValueError";
    this.excModule = "builtins";
  }

  public String excType() {
    return excType;
  }

  public String excModule() {
    return excModule;
  }
}
