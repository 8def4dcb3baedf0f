package dev.chervil.broker.redis;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;

/**
 * A private {@code redis-server} (no persistence) for fault tests, so they never stop or
 * reconfigure the shared one. Stopped by its own PID.
 */
public final class OwnRedisServer implements AutoCloseable {
  private final int port;
  private Process process;

  public OwnRedisServer() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
  }

  public static boolean available() {
    try {
      Process p =
          new ProcessBuilder("redis-server", "--version")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  public OwnRedisServer start() throws IOException, InterruptedException {
    process =
        new ProcessBuilder(
                List.of(
                    "redis-server",
                    "--port",
                    Integer.toString(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no"))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    while (Instant.now().isBefore(deadline)) {
      try (Jedis j = new Jedis("127.0.0.1", port)) {
        j.ping();
        return this;
      } catch (RuntimeException e) {
        Thread.sleep(50);
      }
    }
    throw new IllegalStateException("redis-server on port " + port + " did not answer");
  }

  /** SIGKILL, as a crashed server: everything it held is gone (no persistence). */
  public void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor();
      process = null;
    }
  }

  /**
   * SIGSTOP: the server is still there but answers nothing (a hung or cut-off server), and keeps
   * what it holds for {@link #resume()}.
   */
  public void pause() {
    signal(SIGSTOP);
  }

  /** SIGCONT after {@link #pause()}. */
  public void resume() {
    signal(dev.chervil.os.Posix.SIGCONT);
  }

  private static final int SIGSTOP = 19; // x86-64 and arm64 Linux

  // Through the FFM call, not a `kill` process: a subprocess would leave a JDK reaper thread.
  private void signal(int signal) {
    if (!dev.chervil.os.Posix.kill(process.pid(), signal)) {
      throw new IllegalStateException("signal " + signal + " to " + process.pid() + " failed");
    }
  }

  public int port() {
    return port;
  }

  public String url(int db) {
    return "redis://127.0.0.1:" + port + "/" + db;
  }

  public Jedis client() {
    return new Jedis("127.0.0.1", port);
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }
}
