package dev.chervil.cli;

import dev.chervil.Chervil;
import dev.chervil.broker.amqp.QueueArguments;
import dev.chervil.control.NodeOptions;
import dev.chervil.limits.TimeLimits;
import dev.chervil.worker.Worker;
import dev.chervil.worker.WorkerConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
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
      names = "--shutdown-timeout",
      description =
          "Warm shutdown (first SIGTERM/SIGINT) waits this many seconds for running tasks, then"
              + " shuts down cold. Default: wait until they end, as Celery does; a second signal or"
              + " SIGQUIT is a cold shutdown at any time.")
  Double shutdownTimeout;

  @Option(
      names = {"-l", "--loglevel"},
      defaultValue = "INFO",
      description =
          "DEBUG, INFO, WARNING, ERROR or CRITICAL, as Celery's. INFO logs one line per received"
              + " and per succeeded task; DEBUG adds every other per-task line. Default:"
              + " ${DEFAULT-VALUE}.")
  String logLevel;

  @Option(
      names = "--max-priority",
      description =
          "Declare the queues with x-max-priority N (Celery's task_queue_max_priority), 1-255.")
  Integer maxPriority;

  @Option(
      names = "--queue-type",
      description =
          "classic or quorum: x-queue-type, as Celery 5.5's task_default_queue_type declares it."
              + " Consumers use per-consumer prefetch only.")
  String queueType;

  @Option(
      names = "--delivery-limit",
      description =
          "Quorum queues: declare x-delivery-limit N (the Python app must declare the same, or"
              + " set it by policy); with --dead-letter-exchange a poison message ends there.")
  Integer deliveryLimit;

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

  @Option(
      names = {"-n", "--hostname"},
      defaultValue = "chervil@%h",
      description =
          "Node name; %%h = host name, %%n = its first label, %%d = domain. Default: chervil@%%h.")
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

  @Option(
      names = "--eta-defer-after",
      defaultValue = "900",
      description =
          "An ETA further away than this many seconds is handed to RabbitMQ's delayed delivery"
              + " (Celery 5.5's topology) and acked instead of held unacked, so consumer_timeout"
              + " (30 min by default) cannot close the channel; 0 holds every ETA. Keep it below"
              + " the broker's consumer_timeout. Default: ${DEFAULT-VALUE}.")
  double etaDeferAfter;

  @Override
  public Integer call() throws Exception {
    LogLevel.set(logLevel); // before the first logger exists: slf4j-simple reads it once
    IdleHeapReturn.enable();
    WorkerConfig config =
        new WorkerConfig(
            queues,
            prefetchMultiplier,
            acksLate,
            rejectOnWorkerLost,
            TimeLimits.ofSeconds(softTimeLimit, timeLimit),
            deadLetterExchange,
            warmTimeout(),
            QueueArguments.of(queueType, maxPriority, deliveryLimit),
            resultExtended,
            Duration.ofSeconds(resultExpires),
            new NodeOptions(hostname, taskEvents, trackStarted, stateDb),
            etaDeferAfter <= 0 ? null : Duration.ofMillis(Math.round(etaDeferAfter * 1000)));
    Worker worker =
        Chervil.worker(connection.broker, connection.backendUrl(), poolOptions.toSpec(), config);
    ShutdownSignals signals = new ShutdownSignals(worker, config.drainTimeout());
    signals.install();
    worker.start();
    if (connection.embedded()) {
      System.err.println("chervil: worker on the embedded broker: only this JVM can send it tasks");
    }
    worker.awaitClosed(); // a shutdown signal, or remote control's shutdown
    return ExitCodes.OK;
  }

  private Duration warmTimeout() {
    // "Until they end": ten years is forever for a task, and still fits in nanoseconds.
    return shutdownTimeout == null
        ? Duration.ofDays(3650)
        : Duration.ofMillis(Math.round(shutdownTimeout * 1000));
  }
}
