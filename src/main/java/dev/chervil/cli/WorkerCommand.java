package dev.chervil.cli;

import dev.chervil.Chervil;
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
      names = "--result-extended",
      description =
          "Store name, args, kwargs, worker, retries and queue with each result (Celery's"
              + " result_extended).")
  boolean resultExtended;

  @Option(
      names = "--result-expires",
      defaultValue = "86400",
      description =
          "Seconds results are kept in the backend, 0 for ever (Celery's result_expires)."
              + " Default: ${DEFAULT-VALUE}.")
  long resultExpires;

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
            resultExtended,
            java.time.Duration.ofSeconds(resultExpires));
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
    stopped.await();
    return ExitCodes.OK;
  }
}
