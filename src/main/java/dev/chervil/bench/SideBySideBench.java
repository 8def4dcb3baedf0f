package dev.chervil.bench;

import dev.chervil.Chervil;
import dev.chervil.client.AsyncResult;
import dev.chervil.client.ChervilClient;
import dev.chervil.client.TaskCall;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Python's Celery 5.2, Chervil and a raw amqp-client loop, each draining the same no-op messages
 * from the same Python producer on the same broker, one after another in one run. Per worker: a
 * fresh queue, filled before the worker starts; the drain timed by polling the queue; a round trip
 * from a Python client; the idle tree RSS. Every process is stopped by pid and every queue deleted,
 * also when a turn fails.
 */
public final class SideBySideBench {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration IDLE = Duration.ofSeconds(2);

  /**
   * What to run. Each worker first drains {@code warmUp} messages that are not timed (a JVM
   * compiles its hot path during its first thousands of tasks: a measure of those is one of
   * start-up, not of the long-running worker every deployment runs), then the {@code messages} that
   * are. Every worker takes {@code rounds} turns, one per round, in the same order each round, so a
   * slow spell of the shared machine lands on every worker's figures rather than on one; each
   * worker's row is its median round. {@code jfrDir} null: no recording; {@code longTasks} 0: no
   * growth run.
   */
  public record Settings(
      int warmUp,
      int messages,
      int roundTrips,
      int roundTripWarmUp,
      int rounds,
      int clientMessages,
      List<Contender> contenders,
      int longTasks,
      List<Contender.Chervil> longContenders,
      Path jfrDir,
      Contender.Chervil jfrContender) {

    /** The same with another count of timed messages. */
    Settings withMessages(int n) {
      return new Settings(
          warmUp,
          n,
          roundTrips,
          roundTripWarmUp,
          rounds,
          clientMessages,
          contenders,
          longTasks,
          longContenders,
          jfrDir,
          jfrContender);
    }
  }

  /**
   * Timed messages of the profiled drain, at least: JFR samples each thread running Java code every
   * 20 ms, so a one-second drain yields a handful of samples (17 at 8,500 tasks/s), too few to rank
   * frames.
   */
  private static final int JFR_MESSAGES = 100_000;

  /** One worker's figures. {@code roundTrip} is null for a worker that stores no results. */
  record Figures(
      Contender contender,
      int messages,
      double drainSeconds,
      double fillSeconds,
      Percentiles roundTrip,
      long idleTreeRssKib,
      long afterGcTreeRssKib,
      boolean allAcked,
      List<Double> roundRates) {
    double perSecond() {
      return messages / drainSeconds;
    }

    /**
     * Of one worker's turns, the one with the median rate (the lower middle of an even count), with
     * every turn's rate in round order and all acked only if every turn's was.
     */
    static Figures median(List<Figures> turns) {
      List<Figures> byRate =
          turns.stream().sorted(java.util.Comparator.comparingDouble(Figures::perSecond)).toList();
      Figures m = byRate.get((byRate.size() - 1) / 2);
      return new Figures(
          m.contender,
          m.messages,
          m.drainSeconds,
          m.fillSeconds,
          m.roundTrip,
          m.idleTreeRssKib,
          m.afterGcTreeRssKib,
          turns.stream().allMatch(Figures::allAcked),
          turns.stream().map(Figures::perSecond).toList());
    }
  }

  /** Memory of a worker after {@code tasks} tasks. */
  record MemoryPoint(long tasks, long treeRssKib, long heapAfterGcKib) {}

  record Growth(Contender contender, List<MemoryPoint> points) {}

  /** The Java client's publish rate: {@code call} is {@code send()} or {@code sendAsync()}. */
  record ClientRate(String call, int threads, int messages, double perSecond) {}

  /** A recorded profile of one worker's drain. */
  record Profiled(
      Contender contender, Path recording, Figures figures, HotFrames.Profile profile) {}

  public record Result(
      List<Figures> figures,
      List<ClientRate> clientRates,
      List<Growth> growth,
      Profiled jfr,
      String rabbitVersion,
      String celeryVersion) {}

  private final BenchEnv env;
  private final Consumer<String> say;

  public SideBySideBench(BenchEnv env, Consumer<String> say) {
    this.env = env;
    this.say = say;
  }

  public Result run(Settings s) throws Exception {
    PythonClient.install(env.workDir());
    try (StartedProcesses processes = new StartedProcesses();
        QueueProbe probe = new QueueProbe(env.broker())) {
      PythonClient python = new PythonClient(env, processes);
      String celery = python.celeryVersion();
      Map<Contender, List<Figures>> turns = new LinkedHashMap<>();
      for (int round = 1; round <= s.rounds(); round++) {
        for (Contender c : s.contenders()) {
          say.accept(
              String.format(
                  "side-by-side: round %d/%d, %s, %d messages...",
                  round, s.rounds(), c.label(), s.messages()));
          Figures f = turn(c, s, processes, probe, python, null).figures();
          say.accept(
              String.format(
                  "side-by-side: %s: %.0f tasks/s, round trip p50 %s, idle tree RSS %.1f MiB",
                  c.label(),
                  f.perSecond(),
                  f.roundTrip() == null ? "n/a" : String.format("%.2f ms", f.roundTrip().p50()),
                  f.idleTreeRssKib() / 1024.0));
          turns.computeIfAbsent(c, k -> new ArrayList<>()).add(f);
        }
      }
      List<Figures> figures = turns.values().stream().map(Figures::median).toList();
      List<ClientRate> rates = new ArrayList<>();
      if (s.clientMessages() > 0) {
        for (ClientRate r :
            List.of(
                clientRate(1, s.clientMessages(), probe, false),
                clientRate(4, s.clientMessages(), probe, false),
                clientRate(1, s.clientMessages(), probe, true))) {
          say.accept(
              String.format(
                  "side-by-side: Java client %s, %d thread(s): %.0f messages/s",
                  r.call(), r.threads(), r.perSecond()));
          rates.add(r);
        }
      }
      List<Growth> growth = new ArrayList<>();
      if (s.longTasks() > 0) {
        for (Contender.Chervil c : s.longContenders()) {
          say.accept(String.format("long: %s up to %d tasks...", c.label(), s.longTasks()));
          growth.add(turn(c, s, processes, probe, python, s).growth());
        }
      }
      Profiled jfr = null;
      if (s.jfrDir() != null) {
        jfr = profile(s.jfrContender(), s, processes, probe, python);
      }
      return new Result(figures, rates, growth, jfr, probe.brokerVersion(), celery);
    }
  }

  private record Turn(Figures figures, Growth growth) {}

  /**
   * One worker's turn on a fresh queue: fill, start, drain, round trip, idle RSS, and, for a growth
   * run ({@code growthRun} not null), memory after the first fill and after {@code longTasks}.
   */
  private Turn turn(
      Contender c,
      Settings s,
      StartedProcesses processes,
      QueueProbe probe,
      PythonClient python,
      Settings growthRun)
      throws Exception {
    String queue =
        "chervil.bench." + c.label() + "." + UUID.randomUUID().toString().substring(0, 8);
    List<String> argv = c.command(env, queue);
    Path log = env.workDir().resolve(queue + ".log");
    try {
      double fill = fill(python, probe, queue, s);
      Process worker = processes.start(argv, env.workDir(), python.environment(), log);
      Figures figures;
      List<MemoryPoint> points = new ArrayList<>();
      try {
        QueueProbe.Drain drain = awaitTimedDrain(probe, queue, s, worker);
        Percentiles rt =
            Percentiles.of(python.roundTrips(queue, s.roundTrips(), s.roundTripWarmUp()));
        Thread.sleep(IDLE.toMillis());
        long rss = ProcessTreeRss.kib(worker.pid());
        long afterGc = c.isJvm() ? rssAfterGc(worker) : 0;
        figures =
            new Figures(c, s.messages(), drain.seconds(), fill, rt, rss, afterGc, false, List.of());
        if (growthRun != null) {
          long done = s.warmUp() + s.messages() + s.roundTripWarmUp() + s.roundTrips() + 20L;
          points.add(memory(worker, done));
          long more = growthRun.longTasks() - done;
          if (more > 0) {
            python.fill(queue, (int) more);
            probe.awaitEmpty(queue, worker::isAlive, drainTimeout((int) more));
            Thread.sleep(IDLE.toMillis());
            points.add(memory(worker, done + more));
          }
        }
      } catch (RuntimeException | IOException e) {
        throw new IllegalStateException(c.label() + " failed (its log: " + log + ")", e);
      } finally {
        processes.stop(worker);
      }
      // With its connection closed, anything it had not acked is ready again: none means all were.
      probe.awaitNoConsumer(queue, Duration.ofSeconds(10));
      boolean allAcked = probe.ready(queue) == 0;
      figures =
          new Figures(
              c,
              figures.messages(),
              figures.drainSeconds(),
              figures.fillSeconds(),
              figures.roundTrip(),
              figures.idleTreeRssKib(),
              figures.afterGcTreeRssKib(),
              allAcked,
              List.of(figures.perSecond()));
      return new Turn(figures, new Growth(c, points));
    } finally {
      probe.deleteQueueAndExchange(queue);
    }
  }

  /**
   * The tree's RSS once every JVM in it (the worker, a process pool's children and spare) has run a
   * full GC: G1 then gives back the heap it committed during the drain, so this is what the worker
   * needs, where the figure before is what it holds.
   */
  private static long rssAfterGc(Process worker) throws InterruptedException {
    List<ProcessHandle> jvms = new ArrayList<>();
    jvms.add(worker.toHandle());
    worker
        .descendants()
        .filter(h -> h.info().command().map(cmd -> cmd.endsWith("/java")).orElse(false))
        .forEach(jvms::add);
    for (ProcessHandle h : jvms) {
      try {
        JvmProbe.jcmd(h.pid(), "GC.run");
      } catch (IOException | RuntimeException e) {
        // a child that exited or refuses attach keeps its RSS: the figure stays an upper bound
      }
    }
    Thread.sleep(500);
    return ProcessTreeRss.kib(worker.pid());
  }

  private static MemoryPoint memory(Process worker, long tasks)
      throws IOException, InterruptedException {
    long heap = JvmProbe.heapAfterGcKib(worker.pid());
    return new MemoryPoint(tasks, ProcessTreeRss.kib(worker.pid()), heap);
  }

  /** The chosen Chervil worker again, this time under a flight recording of its drain. */
  private Profiled profile(
      Contender.Chervil c,
      Settings settings,
      StartedProcesses processes,
      QueueProbe probe,
      PythonClient python)
      throws Exception {
    Settings s = settings.withMessages(Math.max(settings.messages(), JFR_MESSAGES));
    Files.createDirectories(s.jfrDir());
    Path recording = s.jfrDir().toAbsolutePath().resolve(c.label() + ".jfr");
    Files.deleteIfExists(recording);
    String queue =
        "chervil.bench.jfr." + c.label() + "." + UUID.randomUUID().toString().substring(0, 8);
    List<String> argv =
        c.command(
            env,
            queue,
            // No filename: nothing is written at exit, so the one dump below is the whole file
            // (with a filename too, the exit dump adds a second copy of every event to it).
            List.of("-XX:StartFlightRecording=name=chervil-bench,settings=profile"));
    Path log = env.workDir().resolve(queue + ".log");
    say.accept(
        String.format("jfr: %s under a flight recording, %d messages...", c.label(), s.messages()));
    try {
      double fill = fill(python, probe, queue, s);
      Process worker = processes.start(argv, env.workDir(), python.environment(), log);
      QueueProbe.Drain drain;
      try {
        drain = awaitTimedDrain(probe, queue, s, worker);
        JvmProbe.jcmd(worker.pid(), "JFR.dump", "name=chervil-bench", "filename=" + recording);
      } finally {
        processes.stop(worker);
      }
      HotFrames.Profile profile =
          HotFrames.aggregate(
              HotFrames.read(recording, drain.firstTakenAt(), drain.emptyAt()), 15, 5);
      Figures f = new Figures(c, s.messages(), drain.seconds(), fill, null, 0, 0, true, List.of());
      say.accept(
          String.format(
              "jfr: %d samples in the drain (%.0f tasks/s under the recording), written to %s",
              profile.samples(), f.perSecond(), recording));
      return new Profiled(c, recording, f, profile);
    } finally {
      probe.deleteQueueAndExchange(queue);
    }
  }

  /**
   * Fills {@code queue} with the warm-up and the timed messages, one Python producer, before the
   * worker starts; returns the timed part's share of the fill time.
   */
  private static double fill(PythonClient python, QueueProbe probe, String queue, Settings s)
      throws Exception {
    int total = s.warmUp() + s.messages();
    double seconds = python.fill(queue, total);
    long ready = probe.awaitReady(queue, total, Duration.ofSeconds(10));
    if (ready != total) {
      throw new IllegalStateException(
          queue + " holds " + ready + " messages after a fill of " + total);
    }
    return seconds * s.messages() / total;
  }

  /**
   * The timed drain: it starts once the worker has taken the warm-up (fewer than {@code messages}
   * ready; the queue is FIFO, so the warm-up leaves first) and ends when none is ready.
   */
  private static QueueProbe.Drain awaitTimedDrain(
      QueueProbe probe, String queue, Settings s, Process worker)
      throws IOException, InterruptedException {
    return probe.awaitDrain(
        queue,
        s.messages(),
        worker::isAlive,
        START_TIMEOUT.plus(drainTimeout(s.warmUp())),
        drainTimeout(s.messages()));
  }

  /**
   * {@code messages} no-op sends of the Java client from {@code threads} threads: each {@code
   * send()} waiting for its confirm, or with {@code pipelined} every {@code sendAsync()} at once,
   * then all their confirms awaited.
   */
  private ClientRate clientRate(int threads, int messages, QueueProbe probe, boolean pipelined)
      throws Exception {
    String queue = "chervil.bench.client." + UUID.randomUUID().toString().substring(0, 8);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (ChervilClient client = Chervil.client(env.broker(), null)) {
      client.start();
      client.task("chervil.debug.noop").queue(queue).ignoreResult(true).send(); // declares it
      int each = messages / threads;
      long start = System.nanoTime();
      List<Future<?>> sent = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        sent.add(
            pool.submit(
                () -> {
                  List<CompletableFuture<AsyncResult>> confirms = new ArrayList<>();
                  for (int i = 0; i < each; i++) {
                    TaskCall call =
                        client.task("chervil.debug.noop").queue(queue).ignoreResult(true);
                    if (pipelined) {
                      confirms.add(call.sendAsync());
                    } else {
                      call.send();
                    }
                  }
                  confirms.forEach(CompletableFuture::join);
                  return null;
                }));
      }
      for (Future<?> f : sent) {
        f.get(drainTimeout(messages).toSeconds(), TimeUnit.SECONDS);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      return new ClientRate(
          pipelined ? "sendAsync()" : "send()", threads, each * threads, each * threads / seconds);
    } finally {
      pool.shutdownNow();
      probe.deleteQueueAndExchange(queue);
    }
  }

  /** A bound on any one wait for {@code n} messages: 50 a second is far below every worker. */
  private static Duration drainTimeout(int n) {
    return Duration.ofSeconds(60 + n / 50);
  }
}
