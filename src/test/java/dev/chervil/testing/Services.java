package dev.chervil.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;

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

  /** Python's Celery and redis modules under /usr/bin/python3 (Debian's python3-celery). */
  public static void requirePythonCelery() {
    require(
        pythonCeleryImports(),
        "/usr/bin/python3 cannot import celery and redis"
            + " (apt-get install python3-celery python3-redis)");
  }

  private static void require(String name, int port) {
    require(answers(port), name + " is not answering on 127.0.0.1:" + port);
  }

  private static void require(boolean available, String missing) {
    if (!available && "true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError(missing + " and CI=true");
    }
    assumeTrue(available, missing);
  }

  private static boolean pythonCeleryImports() {
    try {
      Process p =
          new ProcessBuilder("/usr/bin/python3", "-c", "import celery, redis")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
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
