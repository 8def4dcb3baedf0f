package dev.chervil.events;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Celery's logical clock (kombu's {@code LamportClock}): forwarded by one for each event or control
 * message sent, adjusted to {@code max(ours, theirs) + 1} on each one received. One per worker
 * node, shared by its events and its pidbox, as in Celery's {@code app.clock}.
 */
public final class LamportClock {
  private final AtomicLong value = new AtomicLong();

  public long forward() {
    return value.incrementAndGet();
  }

  public long adjust(long other) {
    return value.updateAndGet(v -> Math.max(v, other) + 1);
  }

  public long value() {
    return value.get();
  }
}
