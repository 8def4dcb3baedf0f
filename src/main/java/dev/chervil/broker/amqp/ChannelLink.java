package dev.chervil.broker.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.recovery.AutorecoveringChannel;
import com.rabbitmq.client.impl.recovery.RecoveryAwareChannelN;
import java.io.IOException;

/**
 * One channel a subscription consumes on, which of the delivery tags it handed out are stale, and
 * the acks waiting to be sent on it ({@link AckBatch}).
 *
 * <p>Two ways a channel dies. Closed by the broker at channel level ({@code consumer_timeout}, a
 * precondition failure): the channel object is dead for good, every tag it handed out is stale, and
 * the subscription opens a new link. Lost with its connection: amqp-client recovers the same
 * channel object on the new connection and offsets later delivery tags past the highest one seen
 * before the loss, so the tags up to that mark are stale and the later ones are not.
 *
 * <p>Written by amqp-client's connection thread (the shutdown listener) and read by any thread that
 * settles, hence volatile.
 */
final class ChannelLink {
  final Channel channel;
  final long generation;
  final AckBatch<AmqpSubscription.Receiver> acks = new AckBatch<>(); // tags are per channel
  private volatile boolean abandoned;
  private volatile long lostUpTo = 0; // delivery tags start at 1

  ChannelLink(Channel channel, long generation) {
    this.channel = channel;
    this.generation = generation;
  }

  /** Whether a delivery with {@code deliveryTag} from this link can no longer be settled. */
  boolean isStale(long deliveryTag) {
    return abandoned || deliveryTag <= lostUpTo;
  }

  boolean isAbandoned() {
    return abandoned;
  }

  /**
   * Called from the connection's shutdown listener, then again from the channel's (the same mark),
   * before anything else can see the loss.
   */
  void markLost(ShutdownSignalException cause) {
    if (cause.isHardError() && channel instanceof AutorecoveringChannel recovering) {
      // The connection went: amqp-client brings this channel back; tags seen so far are dead.
      lostUpTo =
          recovering.getDelegate() instanceof RecoveryAwareChannelN aware
              ? aware.getMaxSeenDeliveryTag()
              : Long.MAX_VALUE;
    } else {
      abandoned = true;
    }
  }

  /** Closes (or, if the broker already did, releases) the channel; never throws. */
  void closeQuietly() {
    try {
      if (channel.isOpen()) {
        channel.close();
      } else {
        // A channel the broker closed is still registered with the recovering connection, which
        // would otherwise bring it back (and its consumers) on the next connection recovery.
        channel.abort();
      }
    } catch (IOException | java.util.concurrent.TimeoutException | RuntimeException e) {
      // closing is best effort; the broker requeues what this channel held either way
    }
  }
}
