package dev.chervil.protocol;

/**
 * Celery's {@code timelimit} header. On the wire it is {@code [hard, soft]} in seconds — the order
 * Celery's code uses (its documentation says the opposite; the code wins). Either may be null.
 */
public record TimeLimit(Double hardSeconds, Double softSeconds) {
  public static final TimeLimit NONE = new TimeLimit(null, null);

  public boolean isNone() {
    return hardSeconds == null && softSeconds == null;
  }
}
