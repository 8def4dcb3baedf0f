package dev.chervil.broker;

/**
 * A running consumer. {@link #cancel()} stops new deliveries while the unsettled ones can still be
 * acked (a draining worker finishes its running tasks); {@link #close()} also returns every
 * unsettled delivery to the queue.
 *
 * <p>Until cancelled or closed, a subscription keeps itself alive: if the broker closes its channel
 * ({@code consumer_timeout}, an error) or cancels its consumer (queue deleted), it logs the reason
 * and consumes again with backoff; the deliveries of the dead channel become {@link
 * Delivery#isStale() stale}.
 */
public interface Subscription extends AutoCloseable {
  /** Stops new deliveries; unsettled ones stay with this consumer until settled or closed. */
  void cancel();

  /**
   * Changes how many unacknowledged deliveries the broker may hand out. Used to make room for ETA
   * tasks, which are held unacknowledged until due and would otherwise starve the consumer. On AMQP
   * the limit is per consumer, so a change re-consumes: it costs a cancel and a consume round trip,
   * and the window fills up to the new count as the deliveries held under the old one settle.
   */
  void prefetch(int count);

  int prefetch();

  /**
   * Moves the prefetch by {@code delta}, never below 1. The one way the worker changes it (an ETA
   * task held or due, the pool resized), so changes made from different threads add up instead of
   * one overwriting another.
   */
  default void adjustPrefetch(int delta) {
    synchronized (this) {
      prefetch(Math.max(1, prefetch() + delta));
    }
  }

  /** Cancels if needed and returns unsettled deliveries to the queue; idempotent. */
  @Override
  void close();
}
