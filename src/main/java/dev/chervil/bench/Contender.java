package dev.chervil.bench;

import java.util.ArrayList;
import java.util.List;

/** One worker of the side-by-side run: how it is started on a queue, and what it can report. */
public sealed interface Contender {
  /** Short label for tables and queue names, e.g. {@code chervil-threads-4-late}. */
  String label();

  /** How the table names it. */
  String title();

  /** The command line that starts it consuming {@code queue}. */
  List<String> command(BenchEnv env, String queue);

  /** Whether it is a JVM that jcmd can reach (heap after GC, JFR). */
  default boolean isJvm() {
    return false;
  }

  /** Python's Celery 5.2: {@code celery -A celery_bench worker --pool=... -c ...}. */
  record Celery(String pool, int concurrency) implements Contender {
    @Override
    public String label() {
      return "celery-" + pool + (pool.equals("solo") ? "" : "-" + concurrency);
    }

    @Override
    public String title() {
      return "Python Celery 5.2 `--pool="
          + pool
          + (pool.equals("solo") ? "" : " -c " + concurrency)
          + "`";
    }

    @Override
    public List<String> command(BenchEnv env, String queue) {
      List<String> argv =
          new ArrayList<>(
              List.of(
                  env.python(), "-m", "celery", "-A", "celery_bench", "worker", "--pool=" + pool));
      if (!pool.equals("solo")) {
        argv.addAll(List.of("-c", Integer.toString(concurrency)));
      }
      // Heartbeat kept: without it Celery 5.2's prefork loop runs its timers late.
      argv.addAll(
          List.of(
              "-Q",
              queue,
              "--without-mingle",
              "--without-gossip",
              "-l",
              "WARNING",
              "-n",
              label() + "-" + ProcessHandle.current().pid() + "@%h"));
      return argv;
    }
  }

  /** Chervil from the built jar: {@code java -jar chervil.jar worker -P ... -c ...}. */
  record Chervil(String pool, int concurrency, boolean acksLate) implements Contender {
    @Override
    public String label() {
      return "chervil-"
          + pool
          + (pool.equals("solo") ? "" : "-" + concurrency)
          + (acksLate ? "-late" : "");
    }

    @Override
    public String title() {
      return "Chervil `-P "
          + pool
          + (pool.equals("solo") ? "" : " -c " + concurrency)
          + (acksLate ? " --acks-late" : "")
          + "`";
    }

    @Override
    public List<String> command(BenchEnv env, String queue) {
      return command(env, queue, List.of());
    }

    /** The same with extra JVM options (a flight recording). */
    List<String> command(BenchEnv env, String queue, List<String> jvmOptions) {
      List<String> argv =
          new ArrayList<>(List.of(env.java(), "--enable-native-access=ALL-UNNAMED"));
      argv.addAll(jvmOptions);
      argv.addAll(
          List.of(
              "-jar",
              env.jar().toString(),
              "worker",
              "--broker",
              env.broker(),
              "--result-backend",
              "rpc://",
              "-Q",
              queue,
              "-P",
              pool,
              "-l",
              env.chervilLogLevel()));
      if (!pool.equals("solo")) {
        argv.addAll(List.of("-c", Integer.toString(concurrency)));
      }
      if (acksLate) {
        argv.add("--acks-late");
      }
      return argv;
    }

    @Override
    public boolean isJvm() {
      return true;
    }
  }

  /**
   * A bare amqp-client consume + ack loop ({@link RawConsumeLoop}). At {@link #CEILING} it is the
   * broker's ceiling, and, as it answers a round trip with a fixed reply, the floor under every
   * worker's round trip. At a worker's own window (prefetch 4 for solo, 8 for two processes) it is
   * what a consumer that does nothing gets from the broker at that window.
   */
  record Raw(int prefetch) implements Contender {
    /** The prefetch of the "raw consume+ack" ceiling. */
    public static final int CEILING = 100;

    @Override
    public String label() {
      return prefetch == CEILING ? "raw-amqp" : "raw-amqp-" + prefetch;
    }

    @Override
    public String title() {
      return "raw amqp-client consume + ack, prefetch " + prefetch;
    }

    @Override
    public List<String> command(BenchEnv env, String queue) {
      return List.of(
          env.java(),
          "-cp",
          env.jar().toString(),
          RawConsumeLoop.class.getName(),
          env.broker(),
          queue,
          Integer.toString(prefetch));
    }

    @Override
    public boolean isJvm() {
      return true;
    }
  }
}
