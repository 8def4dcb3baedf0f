package dev.chervil.broker.amqp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which frames a batch of acks becomes. The channel here only records what it is asked to send;
 * that RabbitMQ settles every message of such frames is proven on the real broker by the transport
 * tests (every message acked, none left unacknowledged).
 */
class AckBatchTest {
  private final List<String> frames = new ArrayList<>();
  private final List<String> sentFor = new ArrayList<>();
  private final Channel channel =
      (Channel)
          Proxy.newProxyInstance(
              Channel.class.getClassLoader(),
              new Class<?>[] {Channel.class},
              (proxy, method, args) -> {
                if (method.getName().equals("basicAck")) {
                  frames.add("ack " + args[0] + (((Boolean) args[1]) ? " multiple" : ""));
                  return null;
                }
                throw new UnsupportedOperationException(method.getName());
              });
  private final AckBatch<String> batch = new AckBatch<>();

  private void deliver(long... tags) {
    for (long t : tags) {
      batch.delivered(t, "r" + t);
    }
  }

  private int flush(long... staleUpTo) throws Exception {
    long mark = staleUpTo.length == 0 ? 0 : staleUpTo[0];
    return batch.flush(channel, tag -> tag <= mark, sentFor::add);
  }

  @Test
  void aRunFromTheLowestOutstandingTagIsOneMultipleAck() throws Exception {
    deliver(1, 2, 3, 4);
    batch.ack(2);
    batch.ack(1);
    batch.ack(3);
    assertEquals(1, flush());
    assertEquals(List.of("ack 3 multiple"), frames);
    assertEquals(List.of("r1", "r2", "r3"), sentFor);
    batch.ack(4);
    flush();
    assertEquals(List.of("ack 3 multiple", "ack 4 multiple"), frames);
  }

  @Test
  void acksAboveATagNotSettledYetGoOneByOneSoTheMultipleAckNeverTakesIt() throws Exception {
    deliver(1, 2, 3, 4, 5);
    batch.ack(1);
    batch.ack(3); // 2 is held (an ETA, a task running with acks late)
    batch.ack(5);
    assertEquals(3, flush());
    assertEquals(List.of("ack 1 multiple", "ack 3", "ack 5"), frames);
    batch.ack(2);
    flush();
    assertEquals("ack 2 multiple", frames.getLast()); // 3 and 5 are no longer outstanding
    assertEquals(List.of("r1", "r3", "r5", "r2"), sentFor);
  }

  @Test
  void aRejectedTagLeavesTheBatchAndDoesNotBreakTheRun() throws Exception {
    deliver(1, 2, 3);
    batch.ack(1);
    assertEquals("r2", batch.remove(2)); // rejected now, by its own frame
    batch.ack(3);
    flush();
    assertEquals(List.of("ack 3 multiple"), frames);
  }

  @Test
  void staleTagsAreDroppedUnsentAndTheirReceiversToldSo() throws Exception {
    deliver(1, 2, 3, 4);
    batch.ack(1);
    batch.ack(2);
    batch.ack(4);
    // the connection dropped after tag 2: the broker has 1 and 2 again, 3 and 4 are on the new one
    flush(2);
    assertEquals(List.of("ack 4"), frames);
    assertEquals(List.of("r1", "r2", "r4"), sentFor);
  }

  @Test
  void dueAfterTheBatchSizeAndTheTimedFlushIsScheduledOnceAFlush() throws Exception {
    deliver(1, 2, 3);
    assertFalse(batch.scheduleFlush(), "nothing to flush");
    batch.ack(1);
    assertFalse(batch.due(2));
    assertTrue(batch.scheduleFlush());
    assertFalse(batch.scheduleFlush(), "one timer at a time");
    batch.ack(2);
    assertTrue(batch.due(2));
    flush();
    assertFalse(batch.due(1), "nothing left after the flush");
    batch.ack(3);
    assertTrue(batch.scheduleFlush(), "a new timer after the flush");
  }
}
