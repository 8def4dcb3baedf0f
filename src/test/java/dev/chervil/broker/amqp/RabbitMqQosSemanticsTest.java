package dev.chervil.broker.amqp;

import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.chervil.testing.Services;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pins down how RabbitMQ treats basic.qos on a channel that already has a consumer, which decides
 * how {@code Subscription.prefetch(int)} is implemented (see {@link AmqpSubscription}).
 */
class RabbitMqQosSemanticsTest {
  private RabbitMqAdmin admin;
  private Channel channel;
  private String queue;
  private final AtomicInteger received = new AtomicInteger();

  @BeforeEach
  void setUp() throws Exception {
    Services.requireRabbitMq();
    admin = new RabbitMqAdmin();
    channel = admin.connection().createChannel();
    queue = "chervil.test.qos." + UUID.randomUUID();
    channel.queueDeclare(queue, false, false, true, null);
    for (int i = 0; i < 5; i++) {
      channel.basicPublish("", queue, null, new byte[] {(byte) i});
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    if (admin != null) {
      admin.deleteQueue(queue);
      admin.close();
    }
  }

  @Test
  void perConsumerQosChangeDoesNotReachAnExistingConsumer() throws Exception {
    channel.basicQos(1, false);
    consumeWithoutAck();
    await().atMost(Duration.ofSeconds(10)).until(() -> received.get() == 1);

    channel.basicQos(3, false);

    await()
        .during(Duration.ofMillis(700))
        .atMost(Duration.ofSeconds(5))
        .until(() -> received.get() == 1);
  }

  @Test
  void channelWideQosChangeReachesAnExistingConsumerAtOnce() throws Exception {
    channel.basicQos(1, true);
    consumeWithoutAck();
    await().atMost(Duration.ofSeconds(10)).until(() -> received.get() == 1);

    channel.basicQos(3, true);

    await().atMost(Duration.ofSeconds(10)).until(() -> received.get() == 3);
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(5))
        .until(() -> received.get() == 3);
  }

  private void consumeWithoutAck() throws Exception {
    channel.basicConsume(
        queue,
        false,
        new DefaultConsumer(channel) {
          @Override
          public void handleDelivery(String tag, Envelope e, AMQP.BasicProperties p, byte[] body) {
            received.incrementAndGet();
          }
        });
  }
}
