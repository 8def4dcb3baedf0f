package dev.chervil.broker.amqp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import dev.chervil.broker.BrokerUrl;
import dev.chervil.broker.Transport;
import dev.chervil.broker.TransportException;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.WireMessage;
import dev.chervil.testing.Services;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Asynchronous publisher confirms against the shared RabbitMQ. */
class AmqpPublisherConfirmTest {
  private RabbitMqAdmin admin;
  private Transport transport;
  private String queue;

  @BeforeEach
  void setUp() throws Exception {
    Services.requireRabbitMq();
    admin = new RabbitMqAdmin();
    queue = "chervil.test.confirm." + UUID.randomUUID();
    transport = new AmqpTransport((BrokerUrl.Amqp) BrokerUrl.parse(Services.RABBITMQ_URL));
    transport.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (transport != null) {
      transport.close();
    }
    if (admin != null) {
      admin.deleteQueue(queue);
      admin.close();
    }
  }

  @Test
  void manyConcurrentPublishersAreAllConfirmed() throws Exception {
    declare(Map.of());
    int threads = 8;
    int each = 250;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<List<CompletableFuture<Void>>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        results.add(
            pool.submit(
                () -> {
                  List<CompletableFuture<Void>> fs = new ArrayList<>();
                  for (int i = 0; i < each; i++) {
                    if (i % 2 == 0) {
                      fs.add(transport.publishAsync("", queue, message(thread + "-" + i)));
                    } else {
                      transport.publish("", queue, message(thread + "-" + i)); // waits, no lock
                    }
                  }
                  return fs;
                }));
      }
      for (Future<List<CompletableFuture<Void>>> r : results) {
        for (CompletableFuture<Void> f : r.get(60, TimeUnit.SECONDS)) {
          f.get(30, TimeUnit.SECONDS); // throws if nacked or timed out
        }
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(threads * each, messageCount());
  }

  @Test
  void aNackSurfacesToTheCallerOfPublishAndOfPublishAsync() throws Exception {
    // RabbitMQ nacks what overflows a queue that rejects publishes when full.
    declare(Map.of("x-max-length", 1, "x-overflow", "reject-publish"));
    transport.publish("", queue, message("fits"));

    TransportException sync =
        assertThrows(TransportException.class, () -> transport.publish("", queue, message("x")));
    assertTrue(sync.getMessage().contains("nack"), sync.getMessage());
    assertTrue(sync.getMessage().contains("task id x"), sync.getMessage());

    CompletableFuture<Void> async = transport.publishAsync("", queue, message("y"));
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> async.get(30, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof TransportException, e.toString());
    assertEquals(1, messageCount());

    // The channel stays usable once there is room again.
    try (Channel ch = admin.connection().createChannel()) {
      ch.queuePurge(queue);
    }
    transport.publish("", queue, message("after"));
    assertEquals(1, messageCount());
  }

  private void declare(Map<String, Object> args) throws Exception {
    try (Channel ch = admin.connection().createChannel()) {
      ch.queueDeclare(queue, true, false, false, args);
    }
  }

  private int messageCount() throws Exception {
    try (Channel ch = admin.connection().createChannel()) {
      return ch.queueDeclarePassive(queue).getMessageCount();
    }
  }

  private static WireMessage message(String id) {
    return new WireMessage(
        MessageProperties.json(id, null), Map.of(), id.getBytes(StandardCharsets.UTF_8));
  }
}
