package dev.chervil.cli;

import dev.chervil.bench.BenchEnv;
import dev.chervil.bench.Contender;
import dev.chervil.bench.Machine;
import dev.chervil.bench.PerformanceReport;
import dev.chervil.bench.ProcessPoolBench;
import dev.chervil.bench.SideBySideBench;
import dev.chervil.bench.SideBySideReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code chervil bench}: measures the process pool, and Chervil's workers side by side with
 * Python's Celery 5.2 and a raw amqp-client loop; writes docs/PERFORMANCE.md.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Measures the process pool (hard limit to kill, kill to next task, idle child RSS, no-op"
          + " throughput) and, side by side in one run, the no-op drain, Python round trip and"
          + " idle RSS of Celery 5.2's and Chervil's workers and a raw amqp-client loop; writes"
          + " the figures with the command and machine.",
      "Without --pool or --side-by-side it runs both."
    })
final class BenchCommand implements Callable<Integer> {
  static final String DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672//";

  /** Every worker of the side-by-side run, in the order they run. */
  static final List<Contender> CONTENDERS =
      List.of(
          new Contender.Raw(Contender.Raw.CEILING),
          new Contender.Raw(8),
          new Contender.Raw(4),
          new Contender.Celery("prefork", 2),
          new Contender.Celery("solo", 1),
          new Contender.Chervil("threads", 4, false),
          new Contender.Chervil("threads", 4, true),
          new Contender.Chervil("processes", 2, false),
          new Contender.Chervil("processes", 2, true),
          new Contender.Chervil("solo", 1, false),
          new Contender.Chervil("solo", 1, true));

  @Spec CommandSpec spec;

  @Option(names = "--pool", description = "Run the process-pool part only.")
  boolean poolOnly;

  @Option(names = "--side-by-side", description = "Run the side-by-side part only.")
  boolean sideBySideOnly;

  @Option(
      names = "--quick",
      description = "A smoke run: 500 messages, 50 round trips, 10 kills, 200 tasks.")
  boolean quick;

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
      description = "No-op tasks for the pool's throughput. Default: ${DEFAULT-VALUE}.")
  int tasks;

  @Option(
      names = "--messages",
      defaultValue = "20000",
      description = "Side by side: no-op messages per worker. Default: ${DEFAULT-VALUE}.")
  int messages;

  @Option(
      names = "--warm-up",
      defaultValue = "20000",
      description =
          "Side by side: no-op messages each worker drains first, not timed (the JVM compiles its"
              + " hot path on them; after 10,000 its compiler threads still took a fifth of the"
              + " worker's CPU). Default: ${DEFAULT-VALUE}.")
  int warmUp;

  @Option(
      names = "--round-trips",
      defaultValue = "300",
      description = "Side by side: sequential Python calls per worker. Default: ${DEFAULT-VALUE}.")
  int roundTrips;

  @Option(
      names = "--round-trip-warm-up",
      defaultValue = "2000",
      description =
          "Side by side: Python calls each worker answers first, sent at once and not timed (the"
              + " drain stores no results, so a JVM would still be compiling its reply path)."
              + " Default: ${DEFAULT-VALUE}.")
  int roundTripWarmUp;

  @Option(
      names = "--rounds",
      defaultValue = "3",
      description =
          "Side by side: turns per worker, taken in rounds (every worker once per round); each"
              + " worker's row is its median round. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(
      names = "--client-messages",
      description = "Java client send() rate: messages per run (0: skip). Default: --messages.")
  Integer clientMessages;

  @Option(
      names = "--workers",
      split = ",",
      description =
          "Side by side: only these workers (raw-amqp, raw-amqp-8, raw-amqp-4, celery-prefork-2,"
              + " celery-solo,"
              + " chervil-threads-4, chervil-threads-4-late, chervil-processes-2,"
              + " chervil-processes-2-late, chervil-solo, chervil-solo-late), or none. Default:"
              + " all.")
  List<String> workers;

  @Option(
      names = "--long",
      description =
          "Also run chervil-threads-4 and chervil-processes-2 up to --long-tasks tasks and report"
              + " RSS and heap after GC along the way (minutes).")
  boolean longRun;

  @Option(
      names = "--long-tasks",
      defaultValue = "100000",
      description = "Tasks of the --long run. Default: ${DEFAULT-VALUE}.")
  int longTasks;

  @Option(
      names = "--jfr",
      paramLabel = "DIR",
      description =
          "Also drain once more under a flight recording written to DIR; report hot frames.")
  Path jfrDir;

  @Option(
      names = "--jfr-worker",
      defaultValue = "chervil-threads-4",
      description = "The Chervil worker to record. Default: ${DEFAULT-VALUE}.")
  String jfrWorker;

  @Option(
      names = "--jfr-label",
      defaultValue = "before",
      description =
          "Names the profile's section, so a later run (after) keeps this one. Default: ${DEFAULT-VALUE}.")
  String jfrLabel;

  @Option(
      names = "--jar",
      defaultValue = "target/chervil.jar",
      description = "The Chervil jar the workers run from. Default: ${DEFAULT-VALUE}.")
  Path jar;

  @Option(
      names = "--python",
      defaultValue = "/usr/bin/python3",
      description = "Python with Celery 5.2. Default: ${DEFAULT-VALUE}.")
  String python;

  @Option(
      names = "--worker-log-level",
      defaultValue = "warn",
      description =
          "Chervil workers' log level (Celery's run at WARNING). Default: ${DEFAULT-VALUE}.")
  String workerLogLevel;

  @Option(
      names = "--broker",
      defaultValue = DEFAULT_BROKER,
      description = "Broker (RabbitMQ). Default: ${DEFAULT-VALUE}.")
  String broker;

  @Option(
      names = "--out",
      defaultValue = "docs/PERFORMANCE.md",
      description = "Report file. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (quick) {
      messages = 500;
      warmUp = 500;
      roundTrips = 50;
      roundTripWarmUp = 100;
      rounds = 1;
      kills = 10;
      tasks = 200;
    }
    int clients = clientMessages != null ? clientMessages : messages;
    if (kills < 1
        || limitMs < 1
        || tasks < 1
        || messages < 1
        || warmUp < 0
        || roundTrips < 1
        || roundTripWarmUp < 0
        || rounds < 1
        || clients < 0) {
      System.err.println("chervil bench: counts must be positive");
      return ExitCodes.USAGE;
    }
    List<Contender> chosen = chosen();
    Contender.Chervil jfrContender = jfrContender();
    if (chosen == null || (jfrDir != null && jfrContender == null)) {
      return ExitCodes.USAGE;
    }
    boolean runPool = !sideBySideOnly;
    boolean runSideBySide = !poolOnly;
    if (runSideBySide && !Files.isRegularFile(jar)) {
      System.err.println(
          "chervil bench: no " + jar + ": build it first (./mvnw -q -B -DskipTests package)");
      return ExitCodes.USAGE;
    }
    List<String> args = spec.commandLine().getParseResult().originalArgs();
    // The parse result holds the whole command line, "bench" included when run as a subcommand.
    int from = !args.isEmpty() && args.getFirst().equals("bench") ? 1 : 0;
    String command = "./chervil bench " + String.join(" ", args.subList(from, args.size()));
    Map<String, String> sections = new LinkedHashMap<>();
    if (runPool) {
      sections.put("pool", pool(command));
    }
    if (runSideBySide) {
      sections.putAll(sideBySide(command, chosen, clients, jfrContender));
    }
    String text = PerformanceReport.write(out, sections);
    System.out.print(text);
    System.out.println("bench: written to " + out);
    return ExitCodes.OK;
  }

  private String pool(String command) throws Exception {
    Duration limit = Duration.ofMillis(limitMs);
    System.out.printf("bench: %d hard limits of %d ms...%n", kills, limitMs);
    ProcessPoolBench.KillFigures killFigures = ProcessPoolBench.kills(kills, limit);
    System.out.println("bench: idle child RSS...");
    List<Double> rss = ProcessPoolBench.idleChildRssMib(2);
    System.out.printf("bench: %d no-op tasks on -P processes -c 2...%n", tasks);
    double throughput = ProcessPoolBench.noopThroughput(broker, 2, tasks);
    return PerformanceReport.render(command, limit, killFigures, rss, tasks, throughput, broker);
  }

  private Map<String, String> sideBySide(
      String command, List<Contender> chosen, int clients, Contender.Chervil jfrContender)
      throws Exception {
    String loadBefore = Machine.loadAverage();
    Path work = Files.createTempDirectory("chervil-bench");
    BenchEnv env =
        new BenchEnv(
            broker, jar.toAbsolutePath(), BenchEnv.currentJava(), python, work, workerLogLevel);
    List<Contender.Chervil> longContenders =
        longRun
            ? List.of(
                new Contender.Chervil("threads", 4, false),
                new Contender.Chervil("processes", 2, false))
            : List.of();
    SideBySideBench.Settings settings =
        new SideBySideBench.Settings(
            warmUp,
            messages,
            roundTrips,
            roundTripWarmUp,
            rounds,
            clients,
            chosen,
            longRun ? longTasks : 0,
            longContenders,
            jfrDir,
            jfrContender);
    SideBySideBench.Result result =
        new SideBySideBench(env, line -> System.out.println("bench: " + line)).run(settings);
    deleteTree(work); // kept when a turn failed: the workers' logs are there
    return SideBySideReport.sections(result, settings, command, loadBefore, jfrLabel);
  }

  private List<Contender> chosen() {
    if (workers == null || workers.isEmpty()) {
      return CONTENDERS;
    }
    if (workers.equals(List.of("none"))) {
      return List.of(); // e.g. only the --jfr profile, or only the client's send rate
    }
    List<String> known = CONTENDERS.stream().map(Contender::label).toList();
    for (String w : workers) {
      if (!known.contains(w)) {
        System.err.println("chervil bench: unknown worker " + w + "; known: " + known);
        return null;
      }
    }
    return CONTENDERS.stream().filter(c -> workers.contains(c.label())).toList();
  }

  private Contender.Chervil jfrContender() {
    for (Contender c : CONTENDERS) {
      if (c instanceof Contender.Chervil ch && ch.label().equals(jfrWorker)) {
        return ch;
      }
    }
    System.err.println("chervil bench: --jfr-worker must name a Chervil worker, not " + jfrWorker);
    return null;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
