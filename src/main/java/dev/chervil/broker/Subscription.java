package dev.chervil.broker;

/**
 * A running consumer. {@link #cancel()} stops new deliveries while the unsettled ones can still be
 * acked (a draining worker finishes its running tasks); {@link #close()} also returns every
 * unsettled delivery to the queue.
 */
public interface Subscription extends AutoCloseable {
  /** Stops new deliveries; unsettled ones stay with this consumer until settled or closed. */
  void cancel();

  /**
   * Changes how many unacknowledged deliveries the broker may hand out. Used to make room for ETA
   * tasks, which are held unacknowledged until due and would otherwise starve the consumer.
   */
  void prefetch(int count);

  int prefetch();

  /** Cancels if needed and returns unsettled deliveries to the queue; idempotent. */
  @Override
  void close();
}
