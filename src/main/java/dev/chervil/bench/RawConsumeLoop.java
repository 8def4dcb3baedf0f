package dev.chervil.bench;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

/**
 * The ceiling of the side-by-side run: consume a queue with amqp-client and ack each message,
 * nothing else. Run as its own JVM ({@code java -cp chervil.jar dev.chervil.bench.RawConsumeLoop
 * BROKER QUEUE PREFETCH}) so it stands where the workers stand; it runs until SIGTERM.
 *
 * <p>A message that asks for a reply ({@code reply_to}, as a Python client's {@code .get()} over
 * {@code rpc://} does) gets a fixed SUCCESS on the consumer's own thread before its ack: no decode,
 * no hand-off, no confirm. Its round trip is the floor under every worker's, the part the Python
 * client and the broker take.
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
                String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
                throws IOException {
              String replyTo = properties.getReplyTo();
              String taskId = properties.getCorrelationId();
              if (replyTo != null && !replyTo.isEmpty() && taskId != null) {
                channel.basicPublish(
                    "", replyTo, REPLY.builder().correlationId(taskId).build(), success(taskId));
              }
              channel.basicAck(envelope.getDeliveryTag(), false);
            }
          });
      stop.await();
    }
  }

  private static final AMQP.BasicProperties REPLY =
      new AMQP.BasicProperties.Builder()
          .contentType("application/json")
          .contentEncoding("utf-8")
          .deliveryMode(1)
          .build();

  /** Celery's rpc:// state message, sent with the request's correlation id (its task id). */
  private static byte[] success(String taskId) {
    return ("{\"task_id\":\""
            + taskId
            + "\",\"status\":\"SUCCESS\",\"result\":null,\"traceback\":null,\"children\":[],"
            + "\"date_done\":null}")
        .getBytes(StandardCharsets.UTF_8);
  }
}
