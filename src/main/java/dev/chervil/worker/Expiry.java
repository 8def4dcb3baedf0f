package dev.chervil.worker;

import dev.chervil.protocol.TaskMessage;
import java.time.OffsetDateTime;

/** Time checks on a message's {@code eta} and {@code expires} headers. */
final class Expiry {
  private Expiry() {}

  static boolean isExpired(TaskMessage m) {
    OffsetDateTime expires = m.headers().expires();
    return expires != null && !expires.isAfter(OffsetDateTime.now());
  }

  /** Milliseconds until the ETA, or 0 when it has none or it is due. */
  static long millisUntilEta(TaskMessage m) {
    OffsetDateTime eta = m.headers().eta();
    if (eta == null) {
      return 0;
    }
    long ms = java.time.Duration.between(OffsetDateTime.now(), eta).toMillis();
    return Math.max(0, ms);
  }
}
