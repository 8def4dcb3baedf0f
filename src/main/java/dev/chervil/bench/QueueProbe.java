package dev.chervil.bench;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * The bench's own view of a queue, over its own connection: how many messages are ready (a passive
 * declare, which counts ready messages and not unacked ones), and the clean-up of what a run
 * declared. Not thread-safe: one probe per polling thread.
 */
final class QueueProbe implements AutoCloseable {
  private static final Duration POLL = Duration.ofMillis(2);

  /** When a drain began and ended, by this JVM's nanoTime. */
  record Drain(long firstTakenNanos, long emptyNanos, Instant firstTakenAt, Instant emptyAt) {
    double seconds() {
      return (emptyNanos - firstTakenNanos) / 1e9;
    }
  }

  private final Connection connection;
  private Channel channel;

  QueueProbe(String brokerUrl) throws IOException, TimeoutException {
    this.connection = factory(brokerUrl).newConnection("chervil-bench-probe");
    this.channel = connection.createChannel();
  }

  /** amqp-client's factory for a Celery-style URL, where {@code //} at the end is vhost "/". */
  static ConnectionFactory factory(String brokerUrl) {
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(brokerUrl.replaceFirst("//$", "/%2F"));
    } catch (Exception e) {
      throw new IllegalArgumentException("not an amqp URL: " + brokerUrl, e);
    }
    return factory;
  }

  /** The broker's version, from the connection's server properties. */
  String brokerVersion() {
    Object v = connection.getServerProperties().get("version");
    return v == null ? "?" : v.toString();
  }

  long ready(String queue) throws IOException {
    return channel.queueDeclarePassive(queue).getMessageCount();
  }

  /**
   * Waits up to {@code timeout} for {@code queue} to hold {@code n} ready messages and returns what
   * it holds then. A producer without publisher confirms (Celery's default) can exit before the
   * broker has enqueued its last messages, so one look right after it exits may come up short.
   */
  long awaitReady(String queue, long n, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long ready = ready(queue);
    while (ready < n && System.nanoTime() < deadline) {
      Thread.sleep(POLL);
      ready = ready(queue);
    }
    return ready;
  }

  int consumers(String queue) throws IOException {
    return channel.queueDeclarePassive(queue).getConsumerCount();
  }

  /**
   * Polls {@code queue}, filled with {@code n} messages and not yet consumed, until it is empty:
   * the drain begins the first time fewer than {@code n} are ready (the consumer's first prefetch
   * left the queue) and ends the first time none is. The broker hands out a message only when an
   * ack frees the consumer's prefetch window, so messages leave at the rate they are acked; the at
   * most one window still unacked at the end is matched by the window taken at the start.
   */
  Drain awaitDrain(
      String queue, long n, BooleanSupplier worker, Duration startTimeout, Duration drainTimeout)
      throws IOException, InterruptedException {
    long startDeadline = System.nanoTime() + startTimeout.toNanos();
    long first;
    Instant firstAt;
    while (true) {
      long ready = ready(queue);
      long now = System.nanoTime();
      if (ready < n) {
        first = now;
        firstAt = Instant.now();
        break;
      }
      if (!worker.getAsBoolean()) {
        throw new IllegalStateException(
            "the worker on " + queue + " exited before taking a message");
      }
      if (now > startDeadline) {
        throw new IllegalStateException(
            "no message taken from " + queue + " in " + startTimeout + " (worker did not start?)");
      }
      Thread.sleep(POLL);
    }
    long drainDeadline = first + drainTimeout.toNanos();
    while (true) {
      long ready = ready(queue);
      long now = System.nanoTime();
      if (ready == 0) {
        return new Drain(first, now, firstAt, Instant.now());
      }
      if (!worker.getAsBoolean()) {
        throw new IllegalStateException(
            "the worker on " + queue + " exited with " + ready + " of " + n + " ready");
      }
      if (now > drainDeadline) {
        throw new IllegalStateException(
            queue + " still has " + ready + " of " + n + " ready after " + drainTimeout);
      }
      Thread.sleep(POLL);
    }
  }

  /** Waits until {@code queue} has no message ready, e.g. while a producer and a worker race. */
  void awaitEmpty(String queue, BooleanSupplier worker, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (ready(queue) > 0) {
      if (!worker.getAsBoolean() || System.nanoTime() > deadline) {
        throw new IllegalStateException(queue + " not emptied in " + timeout);
      }
      Thread.sleep(10);
    }
  }

  /** Waits for {@code queue} to have no consumer (a stopped worker's unacked ones are back). */
  void awaitNoConsumer(String queue, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (consumers(queue) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  /** Deletes {@code queue} and the direct exchange of the same name Celery declares for it. */
  void deleteQueueAndExchange(String queue) {
    try {
      reopenIfClosed();
      channel.queueDelete(queue);
      channel.exchangeDelete(queue);
    } catch (IOException e) {
      // An exchange that was never declared closes the channel: nothing left to delete.
      reopenQuietly();
    }
  }

  private void reopenIfClosed() throws IOException {
    if (!channel.isOpen()) {
      channel = connection.createChannel();
    }
  }

  private void reopenQuietly() {
    try {
      reopenIfClosed();
    } catch (IOException ignored) {
      // the connection itself is gone; close() reports nothing either
    }
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (IOException | RuntimeException ignored) {
      // closing after a failed run: the broker drops the connection's channels anyway
    }
  }
}
