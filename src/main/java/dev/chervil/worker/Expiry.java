package dev.chervil.worker;

import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.protocol.TaskMessage;
import java.time.OffsetDateTime;

/** Time checks on a message's {@code eta} and {@code expires} headers. */
final class Expiry {
  private Expiry() {}

  static boolean isExpired(TaskMessage m) {
    OffsetDateTime expires = m.headers().expires();
    return expires != null && !expires.isAfter(OffsetDateTime.now());
  }

  /**
   * Milliseconds until the ETA, or 0 when it has none or it is due. An ETA centuries away is held
   * as if 100 years away (Celery holds far ETAs too; the arithmetic must not overflow).
   */
  static long millisUntilEta(TaskMessage m) {
    OffsetDateTime eta = m.headers().eta();
    return eta == null ? 0 : CeleryJsonCodec.millisUntil(eta);
  }
}
