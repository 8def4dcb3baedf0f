package dev.chervil.cli;

import dev.chervil.bench.PerformanceReport;
import dev.chervil.bench.ProcessPoolBench;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code chervil bench}: measures the process pool and writes docs/PERFORMANCE.md. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Measures the process pool: hard limit to kill, kill to next task, idle child RSS,",
      "and no-op throughput through a broker; writes the figures with the command and machine."
    })
final class BenchCommand implements Callable<Integer> {
  @Option(
      names = "--kills",
      defaultValue = "50",
      description = "Hard limits to time. Default: ${DEFAULT-VALUE}.")
  int kills;

  @Option(
      names = "--limit-ms",
      defaultValue = "300",
      description = "The hard limit, ms. Default: ${DEFAULT-VALUE}.")
  long limitMs;

  @Option(
      names = "--tasks",
      defaultValue = "2000",
      description = "No-op tasks for throughput. Default: ${DEFAULT-VALUE}.")
  int tasks;

  static final String DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672//";

  @Option(
      names = "--broker",
      defaultValue = DEFAULT_BROKER,
      description = "Broker for the throughput run. Default: ${DEFAULT-VALUE}.")
  String broker;

  @Option(
      names = "--out",
      defaultValue = "docs/PERFORMANCE.md",
      description = "Report file. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (kills < 1 || limitMs < 1 || tasks < 1) {
      System.err.println("chervil bench: --kills, --limit-ms and --tasks must be positive");
      return ExitCodes.USAGE;
    }
    Duration limit = Duration.ofMillis(limitMs);
    System.out.printf("bench: %d hard limits of %d ms...%n", kills, limitMs);
    ProcessPoolBench.KillFigures killFigures = ProcessPoolBench.kills(kills, limit);
    System.out.println("bench: idle child RSS...");
    List<Double> rss = ProcessPoolBench.idleChildRssMib(2);
    System.out.printf("bench: %d no-op tasks on -P processes -c 2...%n", tasks);
    double throughput = ProcessPoolBench.noopThroughput(broker, 2, tasks);
    String command =
        String.format(
                "./chervil bench --kills %d --limit-ms %d --tasks %d --out %s",
                kills, limitMs, tasks, out)
            + (broker.equals(DEFAULT_BROKER) ? "" : " --broker " + broker);
    String report =
        PerformanceReport.render(command, limit, killFigures, rss, tasks, throughput, broker);
    PerformanceReport.write(out, report);
    System.out.print(report);
    System.out.println("bench: written to " + out);
    return ExitCodes.OK;
  }
}
