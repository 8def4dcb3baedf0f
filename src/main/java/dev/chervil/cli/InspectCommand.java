package dev.chervil.cli;

import dev.chervil.census.Census;
import dev.chervil.census.CensusSnapshot;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code chervil inspect ...}: Celery's {@code celery inspect} over remote control, answered by
 * Java and Python workers alike; and {@code inspect census --pid N}, which reads /proc.
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = "Inspect running workers (Java or Python) over remote control.",
    subcommands = InspectCommand.CensusCommand.class)
final class InspectCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "ping", description = "Ping workers.")
  int ping(@Mixin RemoteOptions o) {
    return o.run(c -> c.inspect().ping(), System.out);
  }

  @Command(name = "stats", description = "Worker statistics (Celery's shape).")
  int stats(@Mixin RemoteOptions o) {
    return o.run(c -> c.inspect().stats(), System.out);
  }

  @Command(name = "active", description = "Tasks running now.")
  int active(@Mixin RemoteOptions o) {
    return o.run(c -> c.inspect().active(), System.out);
  }

  @Command(name = "reserved", description = "Tasks received and waiting for a slot.")
  int reserved(@Mixin RemoteOptions o) {
    return o.run(c -> c.inspect().reserved(), System.out);
  }

  @Command(name = "scheduled", description = "Tasks held until their ETA.")
  int scheduled(@Mixin RemoteOptions o) {
    return o.run(c -> c.inspect().scheduled(), System.out);
  }

  @Command(name = "registered", description = "Registered task names.")
  int registered(@Mixin RemoteOptions o) {
    return o.run(c -> c.inspect().registered(), System.out);
  }

  @Command(name = "active_queues", description = "Queues consumed.")
  int activeQueues(@Mixin RemoteOptions o) {
    return o.run(c -> c.inspect().activeQueues(), System.out);
  }

  @Command(name = "revoked", description = "Revoked task ids.")
  int revoked(@Mixin RemoteOptions o) {
    return o.run(c -> c.inspect().revoked(), System.out);
  }

  @Command(name = "conf", description = "Worker configuration.")
  int conf(@Mixin RemoteOptions o) {
    return o.run(c -> c.inspect().conf(), System.out);
  }

  @Command(name = "query_task", description = "What workers know of these task ids.")
  int queryTask(@Mixin RemoteOptions o, @Parameters(arity = "1..*") List<String> ids) {
    return o.run(c -> c.inspect().queryTask(ids), System.out);
  }

  @Command(name = "report", description = "Software and platform of each worker.")
  int report(@Mixin RemoteOptions o) {
    return o.run(c -> c.inspect().call("report", Map.of()), System.out);
  }

  @Command(
      name = "census",
      mixinStandardHelpOptions = true,
      description =
          "Print the census of a worker process: children, zombies, orphans, fds, threads.")
  static final class CensusCommand implements Callable<Integer> {
    @Option(
        names = "--pid",
        required = true,
        description = "The worker's pid (logged at start as pid=...).")
    long pid;

    @Override
    public Integer call() {
      if (ProcessHandle.of(pid).isEmpty()) {
        System.err.println("chervil: no process " + pid);
        return ExitCodes.USAGE;
      }
      CensusSnapshot s = Census.ofProcess(pid);
      System.out.println("pid=" + pid + " " + s.toLogFields());
      return ExitCodes.OK;
    }
  }
}
