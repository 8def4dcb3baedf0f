package dev.chervil.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code chervil} command: worker, call, demo, inspect, control, status, events, bench. */
@Command(
    name = "chervil",
    mixinStandardHelpOptions = true,
    version = "chervil 0.1.0",
    description =
        "A Celery-protocol task queue whose time limits always hold and whose pools never leak.",
    subcommands = {
      WorkerCommand.class,
      CallCommand.class,
      DemoCommand.class,
      InspectCommand.class,
      ControlCommand.class,
      StatusCommand.class,
      EventsCommand.class,
      BenchCommand.class
    })
public final class ChervilCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs a command line and returns its exit code (tests call this instead of main). */
  public static int execute(String... args) {
    CommandLine cli = new CommandLine(new ChervilCommand());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("chervil: " + e.getMessage());
          return e instanceof dev.chervil.broker.TransportException
              ? ExitCodes.UNAVAILABLE
              : ExitCodes.USAGE;
        });
    return cli.execute(args);
  }
}
