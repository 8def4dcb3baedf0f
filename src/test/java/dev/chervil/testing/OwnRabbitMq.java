package dev.chervil.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A RabbitMQ node of a test's own, for fault tests that must never touch the shared broker on 5672:
 * restart it, close its connections, give it a short {@code consumer_timeout}.
 *
 * <pre>{@code
 * try (OwnRabbitMq node = OwnRabbitMq.start(Map.of("consumer_timeout", "5000"))) {
 *   Transport t = Transports.fromUrl(node.url());
 *   ...
 *   node.closeAllConnections("chaos");
 * }
 * }</pre>
 *
 * <p>Everything the node owns lives in one temporary directory: its Erlang cookie ({@code HOME} is
 * pointed there, so it runs as root without touching {@code /root} or {@code /var/lib/rabbitmq}),
 * mnesia, logs, an empty enabled-plugins file, its {@code rabbitmq.conf} and an empty {@code
 * rabbitmq-env.conf} (so the system's {@code /etc/rabbitmq/rabbitmq-env.conf}, which names the
 * shared node, is not read). Its AMQP and distribution ports are free ports picked at start; its
 * node name is {@code chervil-test-<random>@localhost}. It registers with the machine's epmd (the
 * shared node's, already running), which is the one thing it shares.
 *
 * <p>{@link #close()} stops it with {@code rabbitmqctl stop}, then kills what is left of the
 * process tree it started, by PID, and deletes the directory. A JVM shutdown hook does the killing
 * too, so a test run that dies does not leave a node behind. Starting takes about 5 s.
 *
 * <p>Gate a test with {@link #requireInstalled()}: skipped without {@code rabbitmq-server} on a
 * developer machine, failed with {@code CI=true}.
 */
public final class OwnRabbitMq implements AutoCloseable {
  private static final Path BIN = Path.of("/usr/lib/rabbitmq/bin");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Path dir;
  private final String nodeName;
  private final int port;
  private final Process server;
  private final Thread killOnExit;
  private boolean closed;

  private OwnRabbitMq(Path dir, String nodeName, int port, Process server) {
    this.dir = dir;
    this.nodeName = nodeName;
    this.port = port;
    this.server = server;
    this.killOnExit = new Thread(this::killTree, "own-rabbitmq-kill-" + nodeName);
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /** Skips (or fails with {@code CI=true}) a test when RabbitMQ's server scripts are missing. */
  public static void requireInstalled() {
    boolean installed = Files.isExecutable(BIN.resolve("rabbitmq-server"));
    String missing = "no " + BIN.resolve("rabbitmq-server") + " (apt-get install rabbitmq-server)";
    if (!installed && "true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError(missing + " and CI=true");
    }
    assumeTrue(installed, missing);
  }

  /** A node with RabbitMQ's defaults. */
  public static OwnRabbitMq start() {
    return start(Map.of());
  }

  /**
   * Starts a node and returns once it accepts AMQP connections.
   *
   * @param settings extra {@code rabbitmq.conf} lines as key and value, e.g. {@code
   *     consumer_timeout = 5000}; the listener is set here and must not be given
   */
  public static OwnRabbitMq start(Map<String, String> settings) {
    return start(settings, null);
  }

  /**
   * As {@link #start(Map)}, with an {@code advanced.config} too, for settings {@code rabbitmq.conf}
   * cannot express, e.g. {@code [{rabbit, [{channel_tick_interval, 1000}]}].}
   */
  public static OwnRabbitMq start(Map<String, String> settings, String advancedConfig) {
    requireInstalled();
    Path dir;
    try {
      dir = Files.createTempDirectory("chervil-rabbitmq-");
      String id = UUID.randomUUID().toString().substring(0, 8);
      String nodeName = "chervil-test-" + id + "@localhost";
      int port = freePort();
      int distPort = freePort();
      Path home = Files.createDirectories(dir.resolve("home"));
      Path cookie = home.resolve(".erlang.cookie");
      // Erlang refuses a cookie file that others can read.
      Files.writeString(cookie, "CHERVILTEST" + UUID.randomUUID().toString().replace("-", ""));
      Files.setPosixFilePermissions(cookie, PosixFilePermissions.fromString("r--------"));
      Path plugins = Files.writeString(dir.resolve("enabled_plugins"), "");
      Path envFile = Files.writeString(dir.resolve("rabbitmq-env.conf"), "");
      Map<String, String> conf = new LinkedHashMap<>();
      conf.put("listeners.tcp.default", "127.0.0.1:" + port);
      conf.putAll(settings);
      StringBuilder text = new StringBuilder();
      conf.forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
      Path config = Files.writeString(dir.resolve("rabbitmq.conf"), text);

      ProcessBuilder pb = new ProcessBuilder(BIN.resolve("rabbitmq-server").toString());
      Map<String, String> env = pb.environment();
      env.putAll(nodeEnv(home, nodeName));
      env.put("RABBITMQ_NODE_PORT", Integer.toString(port));
      env.put("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
      env.put("RABBITMQ_DIST_PORT", Integer.toString(distPort));
      env.put("RABBITMQ_MNESIA_BASE", Files.createDirectories(dir.resolve("mnesia")).toString());
      env.put("RABBITMQ_LOG_BASE", Files.createDirectories(dir.resolve("log")).toString());
      env.put("RABBITMQ_ENABLED_PLUGINS_FILE", plugins.toString());
      env.put("RABBITMQ_CONFIG_FILE", config.toString());
      env.put("RABBITMQ_CONF_ENV_FILE", envFile.toString());
      env.put("ERL_EPMD_ADDRESS", "127.0.0.1");
      if (advancedConfig != null) {
        Path advanced = Files.writeString(dir.resolve("advanced.config"), advancedConfig);
        env.put("RABBITMQ_ADVANCED_CONFIG_FILE", advanced.toString());
      }
      pb.redirectErrorStream(true).redirectOutput(dir.resolve("server.out").toFile());
      Process server = pb.start();
      OwnRabbitMq node = new OwnRabbitMq(dir, nodeName, port, server);
      node.awaitPort();
      return node;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a RabbitMQ node of our own", e);
    }
  }

  /** {@code amqp://guest:guest@127.0.0.1:<port>//} */
  public String url() {
    return "amqp://guest:guest@127.0.0.1:" + port + "//";
  }

  public int port() {
    return port;
  }

  /** {@code chervil-test-<random>@localhost}, for {@code rabbitmqctl -n}. */
  public String nodeName() {
    return nodeName;
  }

  /** The node's log directory (its log file explains a refused start or a closed channel). */
  public Path logDir() {
    return dir.resolve("log");
  }

  /**
   * Runs {@code rabbitmqctl -n <node> args...} and returns its output lines; fails on exit != 0.
   */
  public List<String> rabbitmqctl(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(BIN.resolve("rabbitmqctl").toString());
    cmd.add("-n");
    cmd.add(nodeName);
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(nodeEnv(dir.resolve("home"), nodeName));
    try {
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("rabbitmqctl " + args[0] + " did not finish in 60s");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            "rabbitmqctl " + String.join(" ", args) + " exited " + p.exitValue() + ": " + out);
      }
      return out.lines().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running rabbitmqctl", e);
    }
  }

  /** Closes every client connection from the broker's side, as a network blip would. */
  public void closeAllConnections(String reason) {
    rabbitmqctl("close_all_connections", reason);
  }

  /** Stops the node and removes its directory; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      rabbitmqctl("stop");
    } catch (RuntimeException e) {
      // the node may already be down; the PID kill below is the backstop
    }
    try {
      if (!server.waitFor(20, TimeUnit.SECONDS)) {
        killTree();
      }
    } catch (InterruptedException e) {
      killTree();
      Thread.currentThread().interrupt();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException e) {
      // already shutting down: the hook runs anyway
    }
    deleteDir();
  }

  /** Kills the server script and its descendants (beam.smp, erl_child_setup) by PID. */
  private void killTree() {
    List<ProcessHandle> tree = server.descendants().toList();
    tree.forEach(ProcessHandle::destroyForcibly);
    server.destroyForcibly();
    for (ProcessHandle h : tree) {
      h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> h).join();
    }
  }

  private void awaitPort() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) {
        String out = readQuietly(dir.resolve("server.out"));
        close();
        throw new IllegalStateException(
            "rabbitmq-server exited " + server.exitValue() + ": " + out);
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        sleepQuietly();
      }
    }
    close();
    throw new IllegalStateException("RabbitMQ node " + nodeName + " not up in " + START_TIMEOUT);
  }

  private static Map<String, String> nodeEnv(Path home, String nodeName) {
    // rabbitmqctl finds the node by name and authenticates with the cookie under HOME.
    return Map.of("HOME", home.toString(), "RABBITMQ_NODENAME", nodeName);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private void deleteDir() {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: a temp directory
    }
  }

  private static String readQuietly(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  private static void sleepQuietly() {
    try {
      Thread.sleep(100); // polling a port that is not listening yet; nothing to await on
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
