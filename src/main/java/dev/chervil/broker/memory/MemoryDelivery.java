package dev.chervil.broker.memory;

import dev.chervil.broker.Delivery;
import dev.chervil.protocol.WireMessage;

/**
 * A message handed to one {@link MemorySubscription}. Its state moves once, under the queue's lock:
 * from pending to settled (ack/reject) or to returned (its subscription closed and the message went
 * back to the queue). Any later settlement is logged and ignored by the queue.
 */
final class MemoryDelivery implements Delivery {
  enum State {
    PENDING,
    SETTLED,
    RETURNED
  }

  private final MemoryQueue queue;
  private final MemorySubscription subscription;
  private final QueuedMessage queued;
  // Written under the queue's lock; volatile so the subscription thread can skip returned ones.
  private volatile State state = State.PENDING;

  MemoryDelivery(MemoryQueue queue, MemorySubscription subscription, QueuedMessage queued) {
    this.queue = queue;
    this.subscription = subscription;
    this.queued = queued;
  }

  @Override
  public WireMessage message() {
    return queued.message();
  }

  @Override
  public String queue() {
    return queue.name();
  }

  @Override
  public boolean redelivered() {
    return queued.redelivered();
  }

  @Override
  public void ack() {
    queue.settle(this, true, false);
  }

  @Override
  public void reject(boolean requeue) {
    queue.settle(this, false, requeue);
  }

  /** True once its subscription closed and the message went back to the queue. */
  @Override
  public boolean isStale() {
    return state == State.RETURNED;
  }

  MemorySubscription subscription() {
    return subscription;
  }

  QueuedMessage queued() {
    return queued;
  }

  State state() {
    return state;
  }

  void state(State next) {
    state = next;
  }

  String correlationId() {
    return message().properties() == null ? null : message().properties().correlationId();
  }
}
