package dev.chervil.demo;

import dev.chervil.Chervil;
import dev.chervil.census.Census;
import dev.chervil.census.CensusSnapshot;
import dev.chervil.client.ChervilClient;
import dev.chervil.client.TaskFailedException;
import dev.chervil.duckdb.DuckDbQuery;
import dev.chervil.duckdb.QueryMain;
import dev.chervil.os.Posix;
import dev.chervil.os.ProcFs;
import dev.chervil.os.ProcStat;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.pool.process.ProcessPool;
import dev.chervil.worker.Worker;
import dev.chervil.worker.WorkerConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Celery + DuckDB timeout experiment on the JVM: a DuckDB query that overruns its limit, run
 * ITERATIONS times per strategy, with this process's children, zombies, orphans and fds read from
 * /proc after every iteration.
 *
 * <ul>
 *   <li>{@code isolate-naive}: timeout-decorator's way. Each query runs in a fresh subprocess (a
 *       shell that starts the query JVM); on timeout the shell is killed and nothing is reaped or
 *       swept, so the query JVM lives on as an orphan. The leak is real and counted.
 *   <li>{@code threads}: the thread pool; the soft limit cancels the DuckDB statement.
 *   <li>{@code processes}: the process pool; the hard limit kills the child's session, reaps it and
 *       replaces it.
 * </ul>
 */
public final class LeakDemo {
  private final DemoSettings settings;
  private final PrintStream out;
  private final long self = ProcessHandle.current().pid();
  private final List<Long> naiveLeftovers = new ArrayList<>();

  public LeakDemo(DemoSettings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
  }

  /** Runs the strategies in order and returns one report each. */
  public List<StrategyReport> run() throws Exception {
    List<StrategyReport> reports = new ArrayList<>();
    for (String strategy : settings.strategies()) {
      out.printf(
          "== strategy=%s iterations=%d rows=%d timeout=%.1fs queue=%s%n",
          strategy,
          settings.iterations(),
          settings.rows(),
          settings.timeout().toMillis() / 1000.0,
          settings.queue());
      reports.add(
          switch (strategy) {
            case "isolate-naive" -> naive();
            case "threads" -> pooled(strategy, PoolKind.THREADS);
            case "processes" -> pooled(strategy, PoolKind.PROCESSES);
            default ->
                throw new IllegalArgumentException(
                    "unknown strategy " + strategy + ": use isolate-naive, threads, processes");
          });
    }
    return reports;
  }

  /** Kills and reaps what the naive strategy left behind, so the demo itself leaks nothing. */
  public int cleanUpNaiveLeftovers() {
    int killed = 0;
    for (long pid : naiveLeftovers) {
      if (ProcFs.stat(pid).map(ProcStat::isLive).orElse(false) && Posix.kill(pid, Posix.SIGKILL)) {
        killed++;
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline && naiveLeftovers.stream().anyMatch(this::stillHere)) {
      naiveLeftovers.forEach(
          pid -> {
            if (ProcFs.stat(pid).map(s -> s.isZombie() && s.ppid() == self).orElse(false)) {
              Posix.reapIfExited(pid); // adopted by us as subreaper: ours to reap
            }
          });
      sleep(20);
    }
    naiveLeftovers.clear();
    return killed;
  }

  private boolean stillHere(long pid) {
    return ProcFs.stat(pid).map(s -> s.isLive() || s.ppid() == self).orElse(false);
  }

  // ---- isolate-naive ----

  private StrategyReport naive() throws IOException, InterruptedException {
    StrategyReport.Builder report = new StrategyReport.Builder("isolate-naive", false);
    int fds0 = ProcFs.openFds(self);
    long t0 = System.nanoTime();
    for (int i = 1; i <= settings.iterations(); i++) {
      // The shell is the "subprocess"; the query JVM is its child, as a forked helper would be.
      Process shell =
          new ProcessBuilder("sh", "-c", queryCommand() + " & wait")
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      boolean done = shell.waitFor(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
      if (!done) {
        ProcFs.childrenOf(shell.pid()).forEach(c -> naiveLeftovers.add(c.pid()));
        shell.destroyForcibly(); // what a timeout decorator does: kill the one process it knows
        shell.waitFor(5, TimeUnit.SECONDS);
      }
      long orphans =
          naiveLeftovers.stream()
              .filter(p -> ProcFs.stat(p).map(ProcStat::isLive).orElse(false))
              .count();
      report.iteration(
          line(i, "isolate-naive", done ? "completed" : "timeout", (int) orphans, fds0), done);
    }
    return report.build(
        Duration.ofNanos(System.nanoTime() - t0),
        fds0,
        ProcFs.openFds(self),
        (int)
            naiveLeftovers.stream()
                .filter(p -> ProcFs.stat(p).map(ProcStat::isLive).orElse(false))
                .count());
  }

  private String queryCommand() {
    String java = ProcessHandle.current().info().command().orElse("java");
    return quote(java)
        + " -Xmx256m -XX:TieredStopAtLevel=1 --enable-native-access=ALL-UNNAMED -cp "
        + quote(System.getProperty("java.class.path"))
        + " "
        + QueryMain.class.getName()
        + " "
        + quote(DuckDbQuery.heavyQuery(settings.rows()));
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  // ---- pooled strategies ----

  private StrategyReport pooled(String strategy, PoolKind kind) throws Exception {
    PoolSpec spec = new PoolSpec(kind, 2, List.of(), true, false, null, null);
    // threads: the soft limit cancels the statement; processes: the hard limit kills the child.
    double timeout = settings.timeout().toMillis() / 1000.0;
    Double soft = kind == PoolKind.THREADS ? timeout : null;
    Double hard = kind == PoolKind.THREADS ? timeout + 5 : timeout;
    WorkerConfig config = WorkerConfig.defaults().withQueues(List.of(settings.queue()));
    Worker worker = Chervil.worker(settings.brokerUrl(), "rpc://", spec, config);
    worker.start();
    int expectedChildren = worker.pool() instanceof ProcessPool p ? p.expectedChildren() : 0;
    try (ChervilClient client = Chervil.client(settings.brokerUrl(), "rpc://")) {
      client.start();
      client.task("chervil.debug.noop").queue(settings.queue()).send().get(Duration.ofSeconds(60));
      awaitChildren(expectedChildren);
      int fds0 = ProcFs.openFds(self);
      StrategyReport.Builder report = new StrategyReport.Builder(strategy, true);
      long t0 = System.nanoTime();
      for (int i = 1; i <= settings.iterations(); i++) {
        boolean completed;
        try {
          client
              .task("chervil.duckdb.query")
              .args(DuckDbQuery.heavyQuery(settings.rows()))
              .queue(settings.queue())
              .timeLimits(soft, hard)
              .send()
              .get(settings.timeout().plusSeconds(60));
          completed = true;
        } catch (TaskFailedException e) {
          completed = false;
        }
        awaitChildren(expectedChildren);
        report.iteration(
            line(
                i,
                strategy,
                completed ? "completed" : "timeout",
                Census.take(worker.pool()).orphans(),
                fds0),
            completed);
      }
      Duration wall = Duration.ofNanos(System.nanoTime() - t0);
      CensusSnapshot census = settle(worker, expectedChildren, fds0);
      out.printf("end strategy=%s %s%n", strategy, census.toLogFields());
      int leaked =
          Math.max(0, census.children() - expectedChildren)
              + census.zombies()
              + census.orphans()
              + census.abandoned();
      return report.build(wall, fds0, census.fds(), leaked);
    } finally {
      worker.close();
    }
  }

  /** Replacement children start in the background: give them a moment before counting. */
  private void awaitChildren(int expected) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline
        && ProcFs.childrenOf(self).stream().filter(ProcStat::isLive).count() < expected) {
      sleep(20);
    }
  }

  /**
   * The first census within 10 s that is back at the baseline, else the last one taken. The fds are
   * the whole JVM's, so anything else in it (a test run's other clients) can open one for a moment:
   * a strategy leaks when its census never comes back, not when one look catches such a moment.
   */
  private CensusSnapshot settle(Worker worker, int expectedChildren, int fds0) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      CensusSnapshot c = Census.take(worker.pool());
      boolean atBaseline =
          c.children() == expectedChildren
              && c.zombies() == 0
              && c.orphans() == 0
              && c.abandoned() == 0
              && c.fds() <= fds0;
      if (atBaseline || System.nanoTime() >= deadline) {
        return c;
      }
      sleep(50);
    }
  }

  private String line(int iter, String strategy, String outcome, int orphans, int fds0) {
    List<ProcStat> children = ProcFs.childrenOf(self);
    long zombies = children.stream().filter(ProcStat::isZombie).count();
    String s =
        String.format(
            "iter=%d strategy=%s outcome=%s children=%d zombies=%d orphans=%d fds=%+d",
            iter,
            strategy,
            outcome,
            children.size() - zombies,
            zombies,
            orphans,
            ProcFs.openFds(self) - fds0);
    out.println(s);
    return s;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
