package dev.chervil.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code chervil control ...}: Celery's {@code celery control}, for Java and Python workers. */
@Command(
    name = "control",
    mixinStandardHelpOptions = true,
    description = "Steer running workers (Java or Python) over remote control.")
final class ControlCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "revoke", description = "Revoke tasks; with --terminate also stop running ones.")
  int revoke(
      @Mixin RemoteOptions o,
      @Parameters(arity = "1..*", paramLabel = "ID") List<String> ids,
      @Option(names = "--terminate", description = "Stop the task if it is running.")
          boolean terminate,
      @Option(
              names = "--signal",
              defaultValue = "TERM",
              description = "Signal for --terminate (TERM, KILL, ...). Default: ${DEFAULT-VALUE}.")
          String signal) {
    return o.run(c -> c.revoke(ids, terminate, signal), System.out);
  }

  @Command(name = "rate_limit", description = "Set a task's rate limit, e.g. 10/m (0: none).")
  int rateLimit(
      @Mixin RemoteOptions o,
      @Parameters(index = "0", paramLabel = "TASK") String task,
      @Parameters(index = "1", paramLabel = "RATE") String rate) {
    return o.run(c -> c.rateLimit(task, rate), System.out);
  }

  @Command(name = "time_limit", description = "Set a task's soft and hard time limits (seconds).")
  int timeLimit(
      @Mixin RemoteOptions o,
      @Parameters(index = "0", paramLabel = "TASK") String task,
      @Parameters(index = "1", paramLabel = "SOFT") Double soft,
      @Parameters(index = "2", paramLabel = "HARD", arity = "0..1") Double hard) {
    return o.run(c -> c.timeLimit(task, soft, hard), System.out);
  }

  @Command(name = "enable_events", description = "Start sending task events.")
  int enableEvents(@Mixin RemoteOptions o) {
    return o.run(c -> c.enableEvents(), System.out);
  }

  @Command(name = "disable_events", description = "Stop sending task events.")
  int disableEvents(@Mixin RemoteOptions o) {
    return o.run(c -> c.disableEvents(), System.out);
  }

  @Command(name = "add_consumer", description = "Start consuming a queue.")
  int addConsumer(@Mixin RemoteOptions o, @Parameters(paramLabel = "QUEUE") String queue) {
    return o.run(c -> c.addConsumer(queue), System.out);
  }

  @Command(name = "cancel_consumer", description = "Stop consuming a queue.")
  int cancelConsumer(@Mixin RemoteOptions o, @Parameters(paramLabel = "QUEUE") String queue) {
    return o.run(c -> c.cancelConsumer(queue), System.out);
  }

  @Command(name = "pool_grow", description = "Grow the pool (where the pool can).")
  int poolGrow(@Mixin RemoteOptions o, @Parameters(arity = "0..1", defaultValue = "1") int n) {
    return o.run(c -> c.poolGrow(n), System.out);
  }

  @Command(name = "pool_shrink", description = "Shrink the pool (where the pool can).")
  int poolShrink(@Mixin RemoteOptions o, @Parameters(arity = "0..1", defaultValue = "1") int n) {
    return o.run(c -> c.poolShrink(n), System.out);
  }

  @Command(name = "shutdown", description = "Shut workers down gracefully.")
  int shutdown(@Mixin RemoteOptions o) {
    return o.run(c -> c.shutdown(), System.out);
  }
}
