package dev.chervil.worker;

import java.util.concurrent.atomic.LongAdder;

/** Counters of what a worker did with its messages; read them with {@link #snapshot()}. */
public final class WorkerStats {
  final LongAdder received = new LongAdder();
  final LongAdder rejected = new LongAdder();
  final LongAdder succeeded = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder retried = new LongAdder();
  final LongAdder revoked = new LongAdder();
  final LongAdder requeued = new LongAdder();

  /** A consistent-enough copy for tests, logs and {@code inspect}. */
  public record Snapshot(
      long received,
      long rejected,
      long succeeded,
      long failed,
      long retried,
      long revoked,
      long requeued) {
    /** Messages whose handling is over, one way or another. */
    public long settled() {
      return rejected + succeeded + failed + retried + revoked + requeued;
    }
  }

  public Snapshot snapshot() {
    return new Snapshot(
        received.sum(),
        rejected.sum(),
        succeeded.sum(),
        failed.sum(),
        retried.sum(),
        revoked.sum(),
        requeued.sum());
  }
}
