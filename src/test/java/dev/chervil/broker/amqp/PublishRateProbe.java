package dev.chervil.broker.amqp;

import dev.chervil.broker.BrokerUrl;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Transport;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.WireMessage;
import dev.chervil.testing.Services;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Publish rate of {@code Transport.publish} on the shared RabbitMQ: 10,000 persistent messages of
 * 300 bytes from 1 and 4 threads. "serialized" holds one lock across publish and confirm, as {@code
 * AmqpPublisher} did before asynchronous confirms; "concurrent" is today's path. Not a test: run by
 * hand ({@code java -cp target/classes:target/test-classes:<deps>
 * dev.chervil.broker.amqp.PublishRateProbe}).
 */
public final class PublishRateProbe {
  private static final int MESSAGES = 10_000;

  public static void main(String[] args) throws Exception {
    for (String mode : List.of("serialized", "concurrent")) {
      for (int threads : List.of(1, 4)) {
        System.out.printf("%s threads=%d rate=%.0f msg/s%n", mode, threads, run(mode, threads));
      }
    }
    System.out.printf(
        "publishAsync threads=1 rate=%.0f msg/s%n", run("async", 1)); // fire, then await all
  }

  private static double run(String mode, int threads) throws Exception {
    String queue = "chervil.probe.publish." + UUID.randomUUID();
    Transport t = new AmqpTransport((BrokerUrl.Amqp) BrokerUrl.parse(Services.RABBITMQ_URL));
    t.start();
    Object lock = new Object();
    byte[] body = new byte[300];
    java.util.Arrays.fill(body, (byte) 'x');
    try {
      t.declareQueue(QueueSpec.durable(queue));
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      long start = System.nanoTime();
      List<Future<?>> done = new ArrayList<>();
      for (int th = 0; th < threads; th++) {
        done.add(
            pool.submit(
                () -> {
                  List<java.util.concurrent.CompletableFuture<Void>> fs = new ArrayList<>();
                  for (int i = 0; i < MESSAGES / threads; i++) {
                    WireMessage m =
                        new WireMessage(
                            MessageProperties.json(UUID.randomUUID().toString(), null),
                            Map.of(),
                            body);
                    switch (mode) {
                      case "serialized" -> {
                        synchronized (lock) {
                          t.publish("", queue, m);
                        }
                      }
                      case "concurrent" -> t.publish("", queue, m);
                      default -> fs.add(t.publishAsync("", queue, m));
                    }
                  }
                  fs.forEach(java.util.concurrent.CompletableFuture::join);
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      pool.shutdown();
      return MESSAGES / seconds;
    } finally {
      t.close();
      try (RabbitMqAdmin admin = new RabbitMqAdmin()) {
        admin.deleteQueue(queue);
        admin.deleteExchange(queue);
      }
    }
  }

  private PublishRateProbe() {}
}
