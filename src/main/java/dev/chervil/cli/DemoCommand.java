package dev.chervil.cli;

import dev.chervil.demo.DemoSettings;
import dev.chervil.demo.LeakDemo;
import dev.chervil.demo.StrategyReport;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chervil demo}: the Celery + DuckDB timeout leak reproduced with a naive strategy and shown
 * fixed with Chervil's pools. Every option also reads its environment variable; a flag wins.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a DuckDB query that overruns its time limit, ITERATIONS times per strategy, and"
          + " counts what each strategy leaves behind: children, zombies, orphans, fds.",
      "Exit code 5 if a strategy other than isolate-naive leaked."
    })
final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--broker",
      defaultValue = "${env:CHERVIL_BROKER}",
      description = "Broker URL; default: the embedded in-process broker.")
  String broker;

  @Option(
      names = "--iterations",
      defaultValue = "${env:ITERATIONS:-3}",
      description = "Queries per strategy (env ITERATIONS). Default: ${DEFAULT-VALUE}.")
  int iterations;

  @Option(
      names = "--rows",
      defaultValue = "${env:DUCKDB_ROWS:-200000}",
      description =
          "The query scans rows x rows pairs (env DUCKDB_ROWS). Default: ${DEFAULT-VALUE}.")
  long rows;

  @Option(
      names = "--timeout",
      defaultValue = "${env:DUCKDB_TIMEOUT:-2}",
      description =
          "Time limit per query, seconds (env DUCKDB_TIMEOUT). Default: ${DEFAULT-VALUE}.")
  double timeout;

  @Option(
      names = "--queue",
      defaultValue = "${env:TARGET_QUEUES:-chervil.demo}",
      description =
          "Queue the demo's workers consume (env TARGET_QUEUES). Default: ${DEFAULT-VALUE}.")
  String queue;

  @Option(
      names = "--strategies",
      split = ",",
      defaultValue = "threads,processes,isolate-naive",
      description =
          "Which strategies, in order. Default: ${DEFAULT-VALUE}"
              + " (the naive one last: its orphans keep burning CPU until the end).")
  List<String> strategies;

  @Override
  public Integer call() throws Exception {
    if (iterations < 1 || rows < 1 || timeout <= 0) {
      System.err.println("chervil demo: iterations, rows and timeout must be positive");
      return ExitCodes.USAGE;
    }
    String firstQueue = queue.split(",")[0].strip();
    DemoSettings settings =
        new DemoSettings(
            broker,
            iterations,
            rows,
            Duration.ofMillis(Math.round(timeout * 1000)),
            firstQueue,
            strategies);
    LeakDemo demo = new LeakDemo(settings, System.out);
    List<StrategyReport> reports;
    try {
      reports = demo.run();
    } finally {
      int killed = demo.cleanUpNaiveLeftovers();
      if (killed > 0) {
        System.out.printf(
            "cleanup: killed and reaped %d process(es) the naive strategy left behind%n", killed);
      }
    }
    System.out.println();
    System.out.printf(
        "%-14s %8s %9s %12s %11s %15s %10s %8s%n",
        "strategy",
        "timeouts",
        "completed",
        "max-children",
        "max-zombies",
        "leaked-procs",
        "leaked-fds",
        "wall");
    for (StrategyReport r : reports) {
      System.out.printf(
          "%-14s %8d %9d %12d %11d %15d %10d %7.1fs%n",
          r.strategy(),
          r.timeouts(),
          r.completed(),
          r.maxChildren(),
          r.maxZombies(),
          r.leakedProcesses(),
          r.leakedFds(),
          r.wall().toMillis() / 1000.0);
    }
    boolean leaked = reports.stream().anyMatch(r -> r.mustNotLeak() && r.leaked());
    System.out.println(
        leaked
            ? "RESULT: a Chervil pool leaked (see above)"
            : "RESULT: Chervil's pools left nothing behind; the naive strategy leaked as expected");
    return leaked ? ExitCodes.LEAKED : ExitCodes.OK;
  }
}
