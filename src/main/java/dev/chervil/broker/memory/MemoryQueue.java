package dev.chervil.broker.memory;

import dev.chervil.broker.TransportException;
import dev.chervil.limits.Ticker;
import dev.chervil.protocol.WireMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A queue of the {@link MemoryBroker} and the one place that decides who gets which message.
 *
 * <p>Everything here is guarded by the queue's monitor: the ready messages, the consumers and the
 * unacknowledged deliveries of each. Dispatch ({@link #pump()}) runs on whichever thread changed
 * something (publish, settle, subscribe, prefetch change) and only hands deliveries to the
 * subscriptions' own threads, so no handler ever runs under the lock. Dead letters are published
 * after the lock is released, so two queues' locks are never held together.
 */
final class MemoryQueue {
  private static final Logger log = LoggerFactory.getLogger(MemoryQueue.class);

  private final String name;
  private final String deadLetterExchange;
  private final MemoryBroker broker;
  private final Ticker ticker;
  private final Deque<QueuedMessage> ready = new ArrayDeque<>();
  private final List<MemorySubscription> consumers = new ArrayList<>();
  private int nextConsumer;

  MemoryQueue(String name, String deadLetterExchange, MemoryBroker broker, Ticker ticker) {
    this.name = name;
    this.deadLetterExchange = deadLetterExchange;
    this.broker = broker;
    this.ticker = ticker;
  }

  String name() {
    return name;
  }

  String deadLetterExchange() {
    return deadLetterExchange;
  }

  synchronized int messageCount() {
    return ready.size();
  }

  void enqueue(QueuedMessage message) {
    synchronized (this) {
      ready.addLast(message);
    }
    pump();
  }

  void subscribe(MemorySubscription subscription) {
    synchronized (this) {
      consumers.add(subscription);
    }
    pump();
  }

  /** Removes the consumer and puts its unsettled messages back at the head, in their order. */
  void unsubscribe(MemorySubscription subscription) {
    synchronized (this) {
      consumers.remove(subscription);
      List<MemoryDelivery> unacked = subscription.unacked();
      for (int i = unacked.size() - 1; i >= 0; i--) {
        MemoryDelivery d = unacked.get(i);
        d.state(MemoryDelivery.State.RETURNED);
        ready.addFirst(d.queued().redelivery());
      }
      if (!unacked.isEmpty()) {
        log.info("event=unacked-requeued queue={} count={}", name, unacked.size());
      }
      unacked.clear();
    }
    pump();
  }

  void settle(MemoryDelivery delivery, boolean ack, boolean requeue) {
    String action = ack ? "ack" : requeue ? "reject-requeue" : "reject";
    QueuedMessage deadLetter = null;
    synchronized (this) {
      if (delivery.state() != MemoryDelivery.State.PENDING) {
        log.warn(
            "event=settle-ignored reason={} action={} queue={} correlationId={}",
            delivery.state() == MemoryDelivery.State.SETTLED
                ? "already-settled"
                : "subscription-closed",
            action,
            name,
            delivery.correlationId());
        return;
      }
      delivery.state(MemoryDelivery.State.SETTLED);
      delivery.subscription().unacked().remove(delivery);
      if (!ack && requeue) {
        ready.addFirst(delivery.queued().redelivery());
      } else if (!ack) {
        deadLetter = delivery.queued();
      }
    }
    if (deadLetter != null) {
      deadLetter(deadLetter, "rejected");
    }
    pump();
  }

  /** Hands ready messages to consumers with room, round-robin, dropping expired ones. */
  void pump() {
    List<QueuedMessage> expired = new ArrayList<>();
    synchronized (this) {
      while (!ready.isEmpty()) {
        MemorySubscription target = nextWithRoom();
        if (target == null) {
          break;
        }
        QueuedMessage next = ready.pollFirst();
        // Like RabbitMQ, per-message TTL is checked when the message reaches the head.
        if (next.expiredAt(ticker.nanoTime())) {
          expired.add(next);
          continue;
        }
        MemoryDelivery delivery = new MemoryDelivery(this, target, next);
        target.unacked().add(delivery);
        target.dispatch(delivery);
      }
    }
    expired.forEach(m -> deadLetter(m, "expired"));
  }

  /** Drops the consumers and messages; unsettled deliveries can no longer be settled. */
  synchronized List<MemorySubscription> delete() {
    List<MemorySubscription> left = new ArrayList<>(consumers);
    ready.clear();
    return left;
  }

  private MemorySubscription nextWithRoom() {
    int n = consumers.size();
    for (int i = 0; i < n; i++) {
      int index = (nextConsumer + i) % n;
      MemorySubscription candidate = consumers.get(index);
      if (candidate.hasRoom()) {
        nextConsumer = (index + 1) % n;
        return candidate;
      }
    }
    return null;
  }

  private void deadLetter(QueuedMessage message, String reason) {
    if (deadLetterExchange == null) {
      log.info(
          "event=message-dropped queue={} reason={} correlationId={}",
          name,
          reason,
          correlationId(message));
      return;
    }
    log.info(
        "event=message-dead-lettered queue={} exchange={} reason={} correlationId={}",
        name,
        deadLetterExchange,
        reason,
        correlationId(message));
    try {
      // RabbitMQ strips the expiration of a dead letter so it does not expire again.
      WireMessage m = message.message();
      WireMessage stripped =
          m.properties() == null
              ? m
              : new WireMessage(m.properties().withExpiration(null), m.headers(), m.body());
      broker.route(deadLetterExchange, message.routingKey(), stripped);
    } catch (TransportException e) {
      log.warn("event=dead-letter-failed queue={} reason=\"{}\"", name, e.getMessage());
    }
  }

  private static String correlationId(QueuedMessage m) {
    return m.message().properties() == null ? null : m.message().properties().correlationId();
  }
}
