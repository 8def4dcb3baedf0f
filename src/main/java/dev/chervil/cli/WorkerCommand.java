package dev.chervil.cli;

import dev.chervil.Chervil;
import dev.chervil.control.NodeOptions;
import dev.chervil.limits.TimeLimits;
import dev.chervil.worker.Worker;
import dev.chervil.worker.WorkerConfig;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code chervil worker}: consume queues until stopped (Ctrl-C / SIGTERM drains, then exits). */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = "Start a worker that consumes task queues.")
final class WorkerCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;
  @Mixin PoolOptions poolOptions;

  @Option(
      names = {"-Q", "--queues"},
      split = ",",
      defaultValue = "celery",
      description = "Queues to consume, comma-separated. Default: ${DEFAULT-VALUE}.")
  List<String> queues;

  @Option(names = "--soft-time-limit", description = "Default soft time limit in seconds.")
  Double softTimeLimit;

  @Option(names = "--time-limit", description = "Default hard time limit in seconds.")
  Double timeLimit;

  @Option(names = "--acks-late", description = "Ack after the task ends instead of when it starts.")
  boolean acksLate;

  @Option(
      names = "--reject-on-worker-lost",
      description =
          "With --acks-late, requeue a task whose child process died instead of failing it.")
  boolean rejectOnWorkerLost;

  @Option(
      names = "--prefetch-multiplier",
      defaultValue = "4",
      description = "Broker prefetch = concurrency x this. Default: ${DEFAULT-VALUE}.")
  int prefetchMultiplier;

  @Option(
      names = "--dead-letter-exchange",
      description =
          "Exchange that rejected messages are dead-lettered to (declared with the queues).")
  String deadLetterExchange;

  @Option(
      names = {"-n", "--hostname"},
      defaultValue = "chervil@%h",
      description =
          "Node name; %h = host name, %n = its first label, %d = domain. Default: ${DEFAULT-VALUE}.")
  String hostname;

  @Option(
      names = {"-E", "--task-events"},
      description = "Send task events (task-received, task-started, ...) from the start.")
  boolean taskEvents;

  @Option(
      names = "--track-started",
      description = "Store STARTED (with hostname and pid) when a task starts.")
  boolean trackStarted;

  @Option(names = "--statedb", description = "File that keeps revoked task ids across restarts.")
  java.nio.file.Path stateDb;

  @Override
  public Integer call() throws Exception {
    WorkerConfig config =
        new WorkerConfig(
            queues,
            prefetchMultiplier,
            acksLate,
            rejectOnWorkerLost,
            TimeLimits.ofSeconds(softTimeLimit, timeLimit),
            deadLetterExchange,
            null,
            new NodeOptions(hostname, taskEvents, trackStarted, stateDb));
    Worker worker =
        Chervil.worker(connection.broker, connection.backendUrl(), poolOptions.toSpec(), config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  worker.close();
                  stopped.countDown();
                },
                "chervil-shutdown"));
    worker.start();
    if (connection.embedded()) {
      System.err.println("chervil: worker on the embedded broker: only this JVM can send it tasks");
    }
    worker.awaitClosed(); // Ctrl-C, SIGTERM or remote control's shutdown
    stopped.countDown();
    return ExitCodes.OK;
  }
}
