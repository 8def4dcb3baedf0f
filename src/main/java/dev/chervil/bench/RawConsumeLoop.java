package dev.chervil.bench;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.util.concurrent.CountDownLatch;

/**
 * The ceiling of the side-by-side run: consume a queue with amqp-client and ack each message,
 * nothing else. Run as its own JVM ({@code java -cp chervil.jar dev.chervil.bench.RawConsumeLoop
 * BROKER QUEUE PREFETCH}) so it stands where the workers stand; it runs until SIGTERM.
 */
public final class RawConsumeLoop {
  private RawConsumeLoop() {}

  public static void main(String[] args) throws Exception {
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "raw-stop"));
    try (Connection connection = QueueProbe.factory(args[0]).newConnection("chervil-bench-raw")) {
      Channel channel = connection.createChannel();
      channel.basicQos(Integer.parseInt(args[2]));
      channel.basicConsume(
          args[1],
          false,
          new DefaultConsumer(channel) {
            @Override
            public void handleDelivery(
                String tag,
                Envelope envelope,
                com.rabbitmq.client.AMQP.BasicProperties properties,
                byte[] body)
                throws java.io.IOException {
              channel.basicAck(envelope.getDeliveryTag(), false);
            }
          });
      stop.await();
    }
  }
}
