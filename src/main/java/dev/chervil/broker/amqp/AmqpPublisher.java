package dev.chervil.broker.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import dev.chervil.broker.TransportException;
import dev.chervil.protocol.WireMessage;
import dev.chervil.threads.Watchdog;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes with asynchronous publisher confirms on one channel of its own.
 *
 * <p>amqp-client channels must not be published on concurrently (the frames of two messages would
 * interleave), so only taking a sequence number and writing the message happen under the lock;
 * nobody holds it while waiting for the broker. Each message's future sits in {@link
 * ConfirmChannel#outstanding} under its sequence number until the broker acks it (completed), nacks
 * it (failed), the channel dies (failed: amqp-client's recovered channel restarts the numbering, so
 * a confirm for the old numbers can never come) or {@code confirmTimeout} passes (failed by a sweep
 * on the keeper thread, once a second). Every failure is logged with the message's task id.
 *
 * <p>Futures are completed on amqp-client's connection thread: a dependent stage that blocks must
 * be attached with an {@code ...Async} method.
 */
final class AmqpPublisher {
  private static final Logger log = LoggerFactory.getLogger(AmqpPublisher.class);

  private final Connection connection;
  private final Duration confirmTimeout;
  private final ScheduledFuture<?> sweep;
  private ConfirmChannel current; // guarded by this
  private boolean closed; // guarded by this

  AmqpPublisher(Connection connection, Duration confirmTimeout, ScheduledExecutorService keeper) {
    this.connection = connection;
    this.confirmTimeout = confirmTimeout;
    long period = Math.max(50, Math.min(1_000, confirmTimeout.toMillis() / 4));
    this.sweep =
        keeper.scheduleWithFixedDelay(
            Watchdog.guarded("confirm-sweep", this::failOverdue),
            period,
            period,
            TimeUnit.MILLISECONDS);
  }

  /** Publishes and waits for the confirm without holding any lock while waiting. */
  void publish(String exchange, String routingKey, WireMessage message) {
    CompletableFuture<Void> confirmed = publishAsync(exchange, routingKey, message);
    try {
      // The sweep fails the future after confirmTimeout; the bound here only guards against a
      // sweep that cannot run (keeper gone).
      confirmed.get(confirmTimeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof TransportException te
          ? te
          : new TransportException(e.getCause().toString(), e.getCause());
    } catch (TimeoutException e) {
      throw failure(exchange, routingKey, message, "no confirm in " + confirmTimeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure(exchange, routingKey, message, "interrupted waiting for the confirm", e);
    }
  }

  /** Sends {@code message}; the future completes on the broker's ack, fails on anything else. */
  CompletableFuture<Void> publishAsync(String exchange, String routingKey, WireMessage message) {
    Pending pending = new Pending(exchange, routingKey, taskId(message), deadline());
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("publisher is closed");
      }
      try {
        ConfirmChannel cc = channel();
        long seq = cc.channel.getNextPublishSeqNo();
        cc.outstanding.put(seq, pending);
        try {
          cc.channel.basicPublish(
              exchange, routingKey, false, AmqpProperties.toAmqp(message), message.body());
        } catch (IOException | RuntimeException e) {
          cc.outstanding.remove(seq);
          throw e;
        }
      } catch (IOException | ShutdownSignalException e) {
        discard();
        pending.fail(failure(pending, e.toString(), e));
      } catch (IllegalArgumentException e) {
        // a header the field table cannot carry: a bug in the message, not in the channel
        pending.fail(failure(pending, e.getMessage(), e));
      }
    }
    return pending.future;
  }

  synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    sweep.cancel(false);
    discard();
  }

  private ConfirmChannel channel() throws IOException {
    if (current == null || !current.channel.isOpen()) {
      discard();
      Channel ch = connection.createChannel();
      if (ch == null) {
        throw new IOException("no channel number left on the connection");
      }
      ch.confirmSelect();
      current = new ConfirmChannel(ch);
    }
    return current;
  }

  /** Drops the current channel; what it has outstanding can never be confirmed now. */
  private void discard() {
    ConfirmChannel cc = current;
    current = null;
    if (cc != null) {
      cc.close();
      cc.failAll(closed ? "publisher closed" : "publish channel closed before the confirm");
    }
  }

  private void failOverdue() {
    ConfirmChannel cc;
    synchronized (this) {
      cc = current;
    }
    if (cc == null) {
      return;
    }
    long now = System.nanoTime();
    cc.outstanding.forEach(
        (seq, p) -> {
          if (now - p.deadlineNanos > 0 && cc.outstanding.remove(seq, p)) {
            p.fail(failure(p, "no confirm in " + confirmTimeout, null));
          }
        });
  }

  private long deadline() {
    return System.nanoTime() + confirmTimeout.toNanos();
  }

  private static String taskId(WireMessage message) {
    Object id = message.headers().get("id");
    if (id != null) {
      return id.toString();
    }
    return message.properties() == null ? null : message.properties().correlationId();
  }

  private static TransportException failure(
      String exchange, String routingKey, WireMessage message, String reason, Exception e) {
    return failure(new Pending(exchange, routingKey, taskId(message), 0), reason, e);
  }

  private static TransportException failure(Pending p, String reason, Exception e) {
    log.warn(
        "event=publish-failed exchange='{}' routingKey={} taskId={} reason=\"{}\"",
        p.exchange,
        p.routingKey,
        p.taskId,
        reason);
    return new TransportException(
        "publish to exchange '"
            + p.exchange
            + "' with routing key '"
            + p.routingKey
            + "' (task id "
            + p.taskId
            + ") was not confirmed: "
            + reason,
        e);
  }

  /** A message waiting for its confirm. */
  private static final class Pending {
    final String exchange;
    final String routingKey;
    final String taskId;
    final long deadlineNanos;
    final CompletableFuture<Void> future = new CompletableFuture<>();

    Pending(String exchange, String routingKey, String taskId, long deadlineNanos) {
      this.exchange = exchange;
      this.routingKey = routingKey;
      this.taskId = taskId;
      this.deadlineNanos = deadlineNanos;
    }

    void fail(TransportException e) {
      future.completeExceptionally(e);
    }
  }

  /** One confirm-mode channel and the messages it has not had confirmed yet. */
  private static final class ConfirmChannel implements ConfirmListener {
    final Channel channel;
    final ConcurrentNavigableMap<Long, Pending> outstanding = new ConcurrentSkipListMap<>();

    ConfirmChannel(Channel channel) {
      this.channel = channel;
      channel.addConfirmListener(this);
      channel.addShutdownListener(
          cause -> {
            if (!cause.isInitiatedByApplication()) {
              failAll("publish channel closed: " + cause.getMessage());
            }
          });
    }

    @Override
    public void handleAck(long seq, boolean multiple) {
      settle(seq, multiple).values().forEach(p -> p.future.complete(null));
    }

    @Override
    public void handleNack(long seq, boolean multiple) {
      settle(seq, multiple)
          .values()
          .forEach(p -> p.fail(failure(p, "nacked by the broker (basic.nack)", null)));
    }

    private Map<Long, Pending> settle(long seq, boolean multiple) {
      if (!multiple) {
        Pending p = outstanding.remove(seq);
        return p == null ? Map.of() : Map.of(seq, p);
      }
      // Removed one by one: the timeout sweep may take some of them at the same time.
      Map<Long, Pending> taken = new java.util.TreeMap<>();
      for (Long k : outstanding.headMap(seq, true).keySet()) {
        Pending p = outstanding.remove(k);
        if (p != null) {
          taken.put(k, p);
        }
      }
      return taken;
    }

    void failAll(String reason) {
      for (Long seq : outstanding.keySet()) {
        Pending p = outstanding.remove(seq);
        if (p != null) {
          p.fail(failure(p, reason, null));
        }
      }
    }

    void close() {
      try {
        if (channel.isOpen()) {
          channel.close();
        } else {
          channel.abort(); // unregisters it, so connection recovery does not bring it back
        }
      } catch (IOException | TimeoutException | RuntimeException e) {
        log.debug("event=publish-channel-close-failed reason=\"{}\"", e.toString());
      }
    }
  }
}
