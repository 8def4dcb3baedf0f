package dev.chervil.broker.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test-side access to the real RabbitMQ: a plain connection for cleanup, and rabbitmqctl. */
public final class RabbitMqAdmin implements AutoCloseable {
  private final Connection connection;

  public RabbitMqAdmin() throws Exception {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost("127.0.0.1");
    f.setAutomaticRecoveryEnabled(false);
    connection = f.newConnection("chervil-test-admin");
  }

  /** The admin connection, for tests that declare, purge or count a queue themselves. */
  public Connection connection() {
    return connection;
  }

  public void deleteQueue(String name) {
    run(ch -> ch.queueDelete(name));
  }

  public void deleteExchange(String name) {
    run(ch -> ch.exchangeDelete(name));
  }

  /**
   * Closes, from the broker's side, every connection whose client-provided name is {@code name}.
   */
  static int closeConnectionsNamed(String name) throws Exception {
    int closed = 0;
    // RabbitMQ 3.10 has no user_provided_name column; the name is in client_properties.
    String marker = "{\"connection_name\",\"" + name + "\"}";
    for (String line : rabbitmqctl("-q", "list_connections", "pid", "client_properties")) {
      String[] cols = line.split("\t", 2);
      if (cols.length == 2 && cols[1].contains(marker)) {
        rabbitmqctl("close_connection", cols[0], "chervil test: forced close");
        closed++;
      }
    }
    return closed;
  }

  /**
   * The type RabbitMQ gives queue {@code name} ({@code classic}, {@code quorum}, {@code stream}),
   * read with {@code rabbitmqctl list_queues name type}, which changes nothing on the broker.
   *
   * @throws AssertionError if there is no such queue
   */
  public static String queueType(String name) throws Exception {
    for (String line : rabbitmqctl("-q", "list_queues", "name", "type")) {
      String[] cols = line.split("\t");
      if (cols.length == 2 && cols[0].equals(name)) {
        return cols[1];
      }
    }
    throw new AssertionError("no queue " + name + " on the broker");
  }

  private static List<String> rabbitmqctl(String... args) throws Exception {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "rabbitmqctl";
    System.arraycopy(args, 0, cmd, 1, args.length);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<String> lines;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      lines = r.lines().toList();
    }
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(
          "rabbitmqctl " + String.join(" ", args) + " failed: " + lines);
    }
    return lines;
  }

  private void run(ChannelAction action) {
    try (Channel ch = connection.createChannel()) {
      action.run(ch);
    } catch (Exception e) {
      // cleanup is best effort: the entity may not exist
    }
  }

  /**
   * Deletes each queue and the exchange of the same name (Celery declares one per default queue),
   * best effort: what a test made with a unique name would otherwise pile up on the broker.
   */
  public static void deleteQueuesAndExchanges(String... names) {
    try (RabbitMqAdmin admin = new RabbitMqAdmin()) {
      for (String name : names) {
        admin.deleteQueue(name);
        admin.deleteExchange(name);
      }
    } catch (Exception e) {
      // best effort: the broker may be gone, and the names are unique anyway
    }
  }

  @Override
  public void close() throws IOException {
    connection.close();
  }

  @FunctionalInterface
  interface ChannelAction {
    void run(Channel channel) throws Exception;
  }
}
