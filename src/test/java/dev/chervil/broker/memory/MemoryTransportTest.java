package dev.chervil.broker.memory;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.broker.Delivery;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Transport;
import dev.chervil.broker.TransportContractTest;
import dev.chervil.broker.Transports;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class MemoryTransportTest extends TransportContractTest {
  private final MemoryBroker broker = new MemoryBroker();

  @Override
  protected Transport newTransport() {
    return new MemoryTransport(broker);
  }

  @Override
  protected void deleteQueue(String name) {
    broker.deleteQueue(name);
  }

  @Override
  protected void deleteExchange(String name) {}

  @Test
  void twoTransportsOnTheSameNamedBrokerTalkToEachOther() {
    String url = "memory://test-" + UUID.randomUUID();
    Transport producer = Transports.fromUrl(url);
    Transport worker = Transports.fromUrl(url);
    transports.add(producer);
    transports.add(worker);
    producer.start();
    worker.start();
    worker.declareQueue(QueueSpec.durable("celery"));
    List<Delivery> got = new CopyOnWriteArrayList<>();
    worker.consume("celery", 1, got::add);

    producer.publish("", "celery", message("hello"));

    await().atMost(WAIT).until(() -> got.size() == 1);
    assertEquals("hello", body(got.getFirst()));
  }

  @Test
  void deliveriesOfAClosedSubscriptionAreStaleAndTheirCopiesAreNot() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    List<Delivery> got = new CopyOnWriteArrayList<>();
    var first = t.consume(queue, 2, got::add);
    t.publish("", queue, message("m"));
    await().atMost(WAIT).until(() -> got.size() == 1);
    Delivery buffered = got.getFirst();
    assertFalse(buffered.isStale());

    first.close();
    t.consume(queue, 2, got::add);

    await().atMost(WAIT).until(() -> got.size() == 2);
    assertTrue(buffered.isStale());
    assertFalse(got.get(1).isStale());
    buffered.ack(); // ignored: the queue has it again
    got.get(1).ack();
    assertEquals(0, broker.messageCount(queue));
  }

  @Test
  void closingATransportDeletesItsReplyQueuesOnly() {
    Transport t = started();
    t.declareQueue(QueueSpec.durable(queue));
    String reply = t.declareReplyQueue();

    t.close();

    assertEquals(-1, broker.messageCount(reply));
    assertEquals(0, broker.messageCount(queue));
  }
}
