package dev.chervil.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.chervil.Chervil;
import dev.chervil.client.AsyncResult;
import dev.chervil.client.ChervilClient;
import dev.chervil.client.TaskCall;
import dev.chervil.client.TaskFailedException;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.worker.Worker;
import dev.chervil.worker.WorkerConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code chervil call}: send one task, optionally wait for its result. On the embedded broker there
 * is no other process to run it, so the command starts a worker in its own JVM first.
 */
@Command(
    name = "call",
    mixinStandardHelpOptions = true,
    description = "Send a task; with --wait print its result (or its error, exit code 1).")
final class CallCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;
  @Mixin ConnectionOptions connection;

  @Parameters(index = "0", description = "Task name, e.g. chervil.debug.echo or proj.tasks.add.")
  String task;

  @Option(
      names = "--args",
      defaultValue = "[]",
      description = "Positional arguments as a JSON array.")
  String args;

  @Option(
      names = "--kwargs",
      defaultValue = "{}",
      description = "Keyword arguments as a JSON object.")
  String kwargs;

  @Option(
      names = {"-q", "--queue"},
      defaultValue = "celery",
      description = "Default: ${DEFAULT-VALUE}.")
  String queue;

  @Option(names = "--countdown", description = "Run no earlier than this many seconds from now.")
  Double countdown;

  @Option(names = "--expires", description = "Revoke if not started within this many seconds.")
  Double expires;

  @Option(names = "--soft-time-limit", description = "Soft time limit for this call, seconds.")
  Double softTimeLimit;

  @Option(names = "--time-limit", description = "Hard time limit for this call, seconds.")
  Double timeLimit;

  @Option(
      names = {"-w", "--wait"},
      description = "Wait for the result and print it.")
  boolean await;

  @Option(
      names = "--timeout",
      defaultValue = "60",
      description = "Seconds to wait with --wait. Default: ${DEFAULT-VALUE}.")
  double timeout;

  @Override
  public Integer call() throws Exception {
    List<Object> argList = parse(args, "--args", new TypeReference<>() {});
    Map<String, Object> kwargMap = parse(kwargs, "--kwargs", new TypeReference<>() {});
    Worker embeddedWorker = null;
    if (connection.embedded()) {
      embeddedWorker =
          Chervil.worker(
              null,
              connection.backendUrl(),
              PoolSpec.of(PoolKind.THREADS, 2),
              WorkerConfig.defaults().withQueues(List.of(queue)));
      embeddedWorker.start();
    }
    try (ChervilClient client = Chervil.client(connection.broker, connection.backendUrl())) {
      client.start();
      TaskCall call =
          client
              .task(task)
              .args(argList)
              .kwargs(kwargMap)
              .queue(queue)
              .timeLimits(softTimeLimit, timeLimit);
      if (countdown != null) {
        call.countdown(seconds(countdown));
      }
      if (expires != null) {
        call.expires(seconds(expires));
      }
      AsyncResult result = call.send();
      if (!await) {
        System.out.println(result.id());
        return ExitCodes.OK;
      }
      return print(result);
    } finally {
      if (embeddedWorker != null) {
        embeddedWorker.close();
      }
    }
  }

  private int print(AsyncResult result) throws InterruptedException, java.io.IOException {
    try {
      Object value = result.get(seconds(timeout));
      System.out.println(CeleryJsonCodec.mapper().writeValueAsString(value));
      return ExitCodes.OK;
    } catch (TaskFailedException e) {
      System.err.println(e.excType() + ": " + e.excMessage());
      return ExitCodes.TASK_FAILED;
    } catch (TimeoutException e) {
      System.err.println("chervil: no result for task " + result.id() + " within " + timeout + "s");
      return ExitCodes.TIMEOUT;
    }
  }

  private <T> T parse(String json, String option, TypeReference<T> type) {
    try {
      return CeleryJsonCodec.mapper().readValue(json, type);
    } catch (java.io.IOException e) {
      throw new ParameterException(
          spec.commandLine(), option + " is not valid JSON of the right shape: " + json);
    }
  }

  private static Duration seconds(double s) {
    return Duration.ofNanos(Math.round(s * 1e9));
  }
}
