package dev.chervil.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import dev.chervil.Chervil;
import dev.chervil.broker.TransportException;
import dev.chervil.broker.amqp.RabbitMqAdmin;
import dev.chervil.testing.Services;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link TaskCall#sendAsync()} against the shared RabbitMQ: many outstanding, each confirmed. */
class SendAsyncTest {
  private RabbitMqAdmin admin;
  private ChervilClient client;
  private String queue;

  @BeforeEach
  void setUp() throws Exception {
    Services.requireRabbitMq();
    admin = new RabbitMqAdmin();
    queue = "chervil.test.sendasync." + UUID.randomUUID();
    client = Chervil.client(Services.RABBITMQ_URL, null);
    client.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      client.close();
    }
    if (admin != null) {
      admin.deleteQueue(queue);
      admin.close();
    }
  }

  @Test
  void everyOutstandingSendIsConfirmedAndCompletesOffTheConnectionThread() throws Exception {
    int n = 2_000;
    Thread test = Thread.currentThread();
    List<CompletableFuture<AsyncResult>> sent = new ArrayList<>();
    List<CompletableFuture<Thread>> ranOn = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      TaskCall call = client.task("chervil.debug.noop").queue(queue).ignoreResult(true);
      ids.add(call.id());
      CompletableFuture<AsyncResult> f = call.sendAsync();
      sent.add(f);
      // A stage chained without *Async runs on the thread that completes the future, or here if
      // it is complete already; never on the connection's thread, which a blocking stage would
      // stop reading confirms and deliveries.
      ranOn.add(f.thenApply(r -> Thread.currentThread()));
    }
    int virtual = 0;
    for (int i = 0; i < n; i++) {
      assertEquals(ids.get(i), sent.get(i).get(30, TimeUnit.SECONDS).id());
      Thread t = ranOn.get(i).get();
      assertTrue(t == test || t.isVirtual(), "a chained stage ran on " + t);
      virtual += t.isVirtual() ? 1 : 0;
    }
    assertTrue(virtual > 0, "no send was still outstanding when its stage was chained");
    assertEquals(n, messageCount(), "every confirmed message is in the queue");
  }

  @Test
  void aNackFailsTheFutureWithTheTaskIdAndTheNextSendStillWorks() throws Exception {
    // RabbitMQ nacks what overflows a queue that rejects publishes when full. The client's own
    // declaration differs in arguments; it warns and uses the queue as it is.
    try (Channel ch = admin.connection().createChannel()) {
      ch.queueDeclare(
          queue, true, false, false, Map.of("x-max-length", 1, "x-overflow", "reject-publish"));
    }
    client.task("chervil.debug.noop").queue(queue).sendAsync().get(30, TimeUnit.SECONDS);

    TaskCall overflow = client.task("chervil.debug.noop").queue(queue);
    CompletableFuture<AsyncResult> refused = overflow.sendAsync();
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> refused.get(30, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof TransportException, e.toString());
    assertTrue(e.getCause().getMessage().contains("nack"), e.getCause().getMessage());
    assertTrue(e.getCause().getMessage().contains(overflow.id()), e.getCause().getMessage());
    assertEquals(1, messageCount());

    try (Channel ch = admin.connection().createChannel()) {
      ch.queuePurge(queue);
    }
    client.task("chervil.debug.noop").queue(queue).sendAsync().get(30, TimeUnit.SECONDS);
    assertEquals(1, messageCount());
  }

  private int messageCount() throws Exception {
    try (Channel ch = admin.connection().createChannel()) {
      return ch.queueDeclarePassive(queue).getMessageCount();
    }
  }
}
