package dev.chervil.cli;

import dev.chervil.census.Census;
import dev.chervil.census.CensusSnapshot;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code chervil inspect census --pid N}: what a running worker owns, read from /proc. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = "Inspect a running worker.",
    subcommands = InspectCommand.CensusCommand.class)
final class InspectCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
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
