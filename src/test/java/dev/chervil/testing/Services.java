package dev.chervil.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Gates for tests that need a real service. On a developer machine without the service the test is
 * skipped; with {@code CI=true} it fails instead, because a CI run that skipped its broker tests
 * proved nothing.
 */
public final class Services {
  public static final String RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//";
  public static final String REDIS_URL = "redis://127.0.0.1:6379/0";

  private Services() {}

  public static void requireRabbitMq() {
    require("RabbitMQ", 5672);
  }

  public static void requireRedis() {
    require("Redis", 6379);
  }

  private static void require(String name, int port) {
    boolean up = answers(port);
    if (!up && "true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError(name + " is not answering on 127.0.0.1:" + port + " and CI=true");
    }
    assumeTrue(up, name + " is not answering on 127.0.0.1:" + port);
  }

  private static boolean answers(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
