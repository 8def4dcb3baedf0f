package dev.chervil.bench;

import dev.chervil.bench.SideBySideBench.Figures;
import dev.chervil.bench.SideBySideBench.Result;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The side-by-side sections of docs/PERFORMANCE.md: absolute figures, the ratios issue 9 sets
 * targets for and whether each is met, the Java client's send rate, memory over a long run, and a
 * flight recording's hot frames.
 */
public final class SideBySideReport {
  private SideBySideReport() {}

  /** Section name to markdown, for {@link PerformanceReport#write}. */
  public static Map<String, String> sections(
      Result r, SideBySideBench.Settings s, String command, String loadBefore, String jfrLabel) {
    Map<String, String> out = new LinkedHashMap<>();
    String run = runLines(r, command, loadBefore);
    if (!r.figures().isEmpty()) {
      out.put("side-by-side", sideBySide(r, s, run));
    }
    if (!r.growth().isEmpty()) {
      out.put("long", growth(r, run));
    }
    if (r.jfr() != null) {
      out.put("jfr-" + jfrLabel, jfr(r.jfr(), jfrLabel, run));
    }
    return out;
  }

  private static String runLines(Result r, String command, String loadBefore) {
    return "- Command: `"
        + command
        + "`\n- When: "
        + OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS)
        + "\n- Machine: "
        + Machine.describe()
        + "; RabbitMQ "
        + r.rabbitVersion()
        + ", Celery "
        + r.celeryVersion()
        + "\n- Load average (1 min) at start / end: "
        + loadBefore
        + " / "
        + Machine.loadAverage()
        + " (on 2 cores shared with other work, absolute figures swing; ratios within one run"
        + " are what to read)\n";
  }

  private static String sideBySide(Result r, SideBySideBench.Settings s, String run) {
    List<Figures> f = r.figures();
    Optional<Figures> prefork = find(f, celery("prefork"));
    Optional<Figures> celerySolo = find(f, celery("solo"));
    Optional<Figures> threads = find(f, chervil("threads", false));
    Optional<Figures> processes = find(f, chervil("processes", false));
    Optional<Figures> solo = find(f, chervil("solo", false));
    Optional<Figures> raw = find(f, raw(Contender.Raw.CEILING));
    StringBuilder md =
        new StringBuilder("## Side by side: Celery 5.2, Chervil, raw amqp-client\n\n");
    md.append(run)
        .append(
            String.format(
                Locale.ROOT,
                "- Per worker: %,d no-op messages timed after %,d not timed (warm-up); round trip:"
                    + " %d sequential calls, after %,d not timed sent at once (the drain stores no"
                    + " results, so a JVM compiles its reply path on these) and %d in turn\n"
                    + "- Rounds: %d (every worker once per round, in the order of the table); each"
                    + " row is that worker's median round, its round trip and RSS from the same"
                    + " turn, every round's rate below it\n\n",
                s.messages(),
                s.warmUp(),
                s.roundTrips(),
                s.roundTripWarmUp(),
                20,
                s.rounds()));
    md.append(
        "| Worker | No-op drain | × Celery prefork | Round trip p50 / p99, Python client"
            + " | Idle tree RSS | The same after GC | All acked |\n|---|---|---|---|---|---|---|\n");
    for (Figures x : f) {
      md.append("| ")
          .append(x.contender().title())
          .append(" | ")
          .append(String.format(Locale.ROOT, "%,.0f tasks/s", x.perSecond()))
          .append(rounds(x))
          .append(" | ")
          .append(prefork.map(p -> times(x.perSecond() / p.perSecond())).orElse("—"))
          .append(" | ")
          .append(
              x.roundTrip() == null
                  ? "—"
                  : ms(x.roundTrip().p50()) + " / " + ms(x.roundTrip().p99()))
          .append(" | ")
          .append(mib(x.idleTreeRssKib()))
          .append(" | ")
          .append(x.afterGcTreeRssKib() == 0 ? "—" : mib(x.afterGcTreeRssKib()))
          .append(" | ")
          .append(x.allAcked() ? "yes" : "**no**")
          .append(" |\n");
    }
    md.append("\nTargets of issue 9 in this run:\n\n| Target | Figure | Met |\n|---|---|---|\n");
    int targetsAt = md.length();
    rateTarget(md, "`-P threads -c 4` drain ≥ 4× Celery prefork -c 2", threads, prefork, 4.0);
    rateTarget(md, "`-P threads -c 4` drain ≥ 60% of raw consume+ack", threads, raw, 0.6);
    rateTarget(md, "`-P processes -c 2` drain ≥ 2× Celery prefork -c 2", processes, prefork, 2.0);
    rateTarget(md, "`-P solo` drain ≥ 2× Celery solo", solo, celerySolo, 2.0);
    latencyTarget(md, "`-P threads -c 4` round trip p50 ≤ ½ Celery prefork's", threads, prefork);
    latencyTarget(
        md, "`-P processes -c 2` round trip p50 ≤ ½ Celery prefork's", processes, prefork);
    if (raw.isPresent()
        && raw.get().roundTrip() != null
        && prefork.isPresent()
        && prefork.get().roundTrip() != null) {
      double floorMs = raw.get().roundTrip().p50();
      double preforkMs = prefork.get().roundTrip().p50();
      md.append(
          String.format(
              Locale.ROOT,
              "| Round trip floor: raw amqp-client's echo p50, no worker in it (no target) | %s"
                  + " (%s vs %s) | — |\n",
              times(floorMs / preforkMs),
              ms(floorMs),
              ms(preforkMs)));
      for (Optional<Figures> w : List.of(threads, processes)) {
        if (w.isPresent() && w.get().roundTrip() != null) {
          double own = w.get().roundTrip().p50() - floorMs;
          md.append(
              String.format(
                  Locale.ROOT,
                  "| %s: the worker's own part, p50 − floor, against Celery prefork's (no target)"
                      + " | %s (%s vs %s) | — |\n",
                  w.get().contender().title(),
                  times(own / (preforkMs - floorMs)),
                  ms(own),
                  ms(preforkMs - floorMs)));
        }
      }
    }
    windowRows(md, processes, find(f, raw(8)), prefork);
    windowRows(md, solo, find(f, raw(4)), celerySolo);
    if (processes.isPresent() && prefork.isPresent()) {
      double ratio = (double) processes.get().idleTreeRssKib() / prefork.get().idleTreeRssKib();
      target(
          md,
          "`-P processes -c 2` idle tree RSS ≤ 1.5× Celery prefork -c 2's",
          times(ratio)
              + " ("
              + mib(processes.get().idleTreeRssKib())
              + " vs "
              + mib(prefork.get().idleTreeRssKib())
              + ")"
              + afterGc(processes.get(), prefork.get()),
          ratio <= 1.5);
    }
    for (String pool : List.of("threads", "processes", "solo")) {
      Optional<Figures> late = find(f, chervil(pool, true));
      Optional<Figures> early = find(f, chervil(pool, false));
      if (late.isPresent() && early.isPresent()) {
        md.append("| `-P ")
            .append(pool)
            .append(" --acks-late` reported (no target) | ")
            .append(
                String.format(
                    Locale.ROOT,
                    "%,.0f tasks/s, %s of early acks",
                    late.get().perSecond(),
                    times(late.get().perSecond() / early.get().perSecond())))
            .append(" | — |\n");
      }
    }
    if (md.length() == targetsAt) {
      md.append("| (no two workers a target compares ran) | | |\n");
    }
    if (!r.clientRates().isEmpty()) {
      md.append(
          "\nJava client publish rate (`ChervilClient.task(\"chervil.debug.noop\")`, ignore_result,"
              + " persistent, into a queue nobody consumes): `send()` returns once the broker"
              + " confirmed its message; `sendAsync()` returns a future of that confirm, all sent"
              + " from one thread, then all awaited:\n\n"
              + "| Call | Threads | Messages | Per second |\n|---|---|---|---|\n");
      for (SideBySideBench.ClientRate c : r.clientRates()) {
        md.append(
            String.format(
                Locale.ROOT,
                "| `%s` | %d | %,d | %,.0f |\n",
                c.call(),
                c.threads(),
                c.messages(),
                c.perSecond()));
      }
    }
    md.append("\nThe Python producer's own rate while filling (`send_task`, for reference): ");
    md.append(
        String.join(
            ", ",
            f.stream()
                .map(
                    x ->
                        String.format(
                            Locale.ROOT, "%,.0f/s", x.messages() / Math.max(1e-9, x.fillSeconds())))
                .toList()));
    md.append(".\n\n").append(METHOD);
    return md.toString();
  }

  static final String METHOD =
      """
      How it is measured:

      - **Same messages, same producer.** Each worker gets a fresh queue of its own
        (`chervil.bench.<worker>.<random>`), filled *before* the worker starts by one Python
        process (`bench/celery_bench.py fill`: Celery 5.2's `app.send_task("chervil.debug.noop",
        queue=..., ignore_result=True)`, persistent, JSON, protocol 2, what a Python app sends).
        Celery serves the no-op under the name Chervil registers it by, so every worker runs the
        same message. The queue gets W + N: W to warm up, then the N that are timed. The bench
        checks the queue holds all of them before it starts the worker.
      - **Drain.** The bench polls the queue every 2 ms with a passive `queue.declare`, whose count
        is messages *ready* (not unacked). The drain starts the first time fewer than N are ready
        (the worker has taken the W warm-up messages, which leave first: a queue is FIFO; a JVM
        compiles its hot path during its first thousands of tasks, on this 2-core machine up to
        half of the CPU of a 20,000-task drain, and that is start-up, not the worker a deployment
        runs for days; Celery's workers get the same warm-up) and ends the first time none is; rate = N /
        that time. No `rabbitmqctl`, no management plugin, nothing read from inside the worker:
        the broker hands out a message only when an ack frees the consumer's prefetch window, so
        messages leave the queue at the rate they are acked, and the at most one window still
        unacked at the end is balanced by the window taken at the start. After the worker is
        stopped (its connection closed, so whatever it had not acked would be ready again) the
        queue is read once more: **All acked** = nothing came back (in every round).
      - **Rounds.** The machine is shared and its speed drifts by tens of percent from one minute
        to the next (two drains of the same worker, a minute apart, differ by up to 30% here), so
        one turn per worker made a ratio depend on which worker met a slow spell. Every worker
        takes a turn in each round, in the same order; a row is the worker's median turn.
      - **Round trip.** With the worker still up, a second Python process makes K calls one after
        another, `send_task(...).get()` over `rpc://` (every worker runs with
        `--result-backend rpc://`), timed with `perf_counter`; p50/p99 by nearest rank.
      - **Idle tree RSS.** 2 s after the round trips, the VmRSS of the worker process and all its
        descendants (Celery's forks; Chervil's child JVMs and spare), summed from
        `/proc/<pid>/status`. A JVM's figure holds the heap pages the drain touched: G1 keeps
        what it committed until it uncommits, so it is more than the same JVM just started.
        **The same after GC**: then `jcmd <pid> GC.run` in every JVM of the tree and the sum
        read again 500 ms later, which G1 shrinks to what the JVM needs (Python's are not
        collected: "—").
      - **Java client.** `ChervilClient.task("chervil.debug.noop").queue(q).ignoreResult(true)
        .send()` M times from one thread, then M in all from 4 threads sharing one client, then
        `.sendAsync()` M times from one thread and every future joined, into a queue nobody
        consumes; rate = M / wall time until the last confirm. Python's `send_task` (above)
        waits for no confirm (kombu's `confirm_publish` is off by default).
      - **Workers.** Celery: `python3 -m celery -A celery_bench worker --pool=prefork -c 2` or
        `--pool=solo`, `--without-mingle --without-gossip -l WARNING`, heartbeat kept. Chervil:
        `java -jar target/chervil.jar worker --broker ... -Q <queue> -P ... -c ... --result-backend
        rpc://` (and `--acks-late`), `-l WARN` like Celery's WARNING (`--worker-log-level`), on
        the JDK running the bench. Raw: `dev.chervil.bench.RawConsumeLoop`, its own JVM,
        amqp-client `basicQos(100)`, manual ack of each delivery; a delivery with a `reply_to`
        first gets a fixed rpc:// SUCCESS on the consumer's thread, so its round trip is the floor
        under every worker's. Default prefetch for the workers (Celery's and Chervil's multiplier
        4): 4 for solo, 8 for prefork and processes -c 2, 16 for threads -c 4. The same raw loop
        runs again at prefetch 8 and at 4, the windows of the two comparisons that are between
        workers at one window (processes against prefork, solo against solo): what the broker
        gives a consumer that does nothing else at that window.
      - **Clean-up.** Every process is stopped by pid (SIGTERM, then SIGKILL to its whole tree
        after 15 s), in a `finally` and from a shutdown hook; each queue, and the exchange of the
        same name Celery declares, is deleted after its turn.
      """;

  private static String growth(Result r, String run) {
    StringBuilder md = new StringBuilder("## Memory over a long run\n\n").append(run).append('\n');
    md.append(
        "One worker drains the first fill and the round trips, then the rest up to the total;"
            + " after each, `jcmd <pid> GC.run`, then `GC.heap_info` (the supervisor JVM's heap)"
            + " and the tree's RSS.\n\n"
            + "| Worker | Tasks | Tree RSS | Heap after GC | Heap vs first point |\n"
            + "|---|---|---|---|---|\n");
    for (SideBySideBench.Growth g : r.growth()) {
      long first = g.points().isEmpty() ? 0 : g.points().getFirst().heapAfterGcKib();
      for (SideBySideBench.MemoryPoint p : g.points()) {
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %,d | %s | %s | %s |\n",
                g.contender().title(),
                p.tasks(),
                mib(p.treeRssKib()),
                mib(p.heapAfterGcKib()),
                first == 0
                    ? "—"
                    : String.format(
                        Locale.ROOT, "%+.1f%%", 100.0 * (p.heapAfterGcKib() - first) / first)));
      }
      if (g.points().size() > 1) {
        long last = g.points().getLast().heapAfterGcKib();
        boolean flat = first > 0 && Math.abs(last - first) <= 0.10 * first;
        md.append("| target: heap after GC flat within 10% | | | | ")
            .append(flat ? "met" : "**not met**")
            .append(" |\n");
      }
    }
    return md.toString();
  }

  private static String jfr(SideBySideBench.Profiled p, String label, String run) {
    HotFrames.Profile prof = p.profile();
    StringBuilder md =
        new StringBuilder("## JFR profile (")
            .append(label)
            .append("): ")
            .append(p.contender().title())
            .append("\n\n")
            .append(run)
            .append(
                String.format(
                    Locale.ROOT,
                    "- Recording: the worker started with"
                        + " `-XX:StartFlightRecording=settings=profile`, dumped with `jcmd <pid>"
                        + " JFR.dump` after a drain of %2$,d no-ops from a fresh queue (%3$,.0f"
                        + " tasks/s under the recording); counted: the %1$,d `jdk.ExecutionSample`"
                        + " events taken between the drain's first message and its last (start-up"
                        + " and round trips left out). Samples are of threads running Java code, so"
                        + " on a loaded machine there are few; the proportions still tell.\n\n",
                    prof.samples(),
                    p.figures().messages(),
                    p.figures().perSecond()));
    md.append(
        "Hottest top frames (share of all samples):\n\n| Frame | Samples | Share |\n|---|---|---|\n");
    counts(md, prof.topFrames(), prof.samples());
    md.append(
        "\nHottest first `dev.chervil` frame of each stack (which of our code leads to the"
            + " samples):\n\n| Frame | Samples | Share |\n|---|---|---|\n");
    counts(md, prof.topChervilFrames(), prof.samples());
    md.append(
            "\nPer thread (numbers in names folded to `#`), with each one's hottest top frames:\n\n")
        .append("| Thread | Share | Hottest top frames |\n|---|---|---|\n");
    for (HotFrames.ThreadShare t : prof.threads()) {
      md.append("| `")
          .append(t.thread())
          .append("` | ")
          .append(pct(100.0 * t.samples() / Math.max(1, prof.samples())))
          .append(" | ")
          .append(
              String.join(
                  "<br>",
                  t.topFrames().stream().map(c -> "`" + c.name() + "` " + c.samples()).toList()))
          .append(" |\n");
    }
    return md.toString();
  }

  /** The JVM side after a full GC in every JVM of its tree; Python's side as it is. */
  private static String afterGc(Figures jvm, Figures python) {
    if (jvm.afterGcTreeRssKib() == 0) {
      return "";
    }
    return "; after GC in every JVM "
        + mib(jvm.afterGcTreeRssKib())
        + ", "
        + times((double) jvm.afterGcTreeRssKib() / python.idleTreeRssKib());
  }

  private static void counts(StringBuilder md, List<HotFrames.Count> counts, long total) {
    for (HotFrames.Count c : counts) {
      md.append("| `")
          .append(c.name())
          .append("` | ")
          .append(c.samples())
          .append(" | ")
          .append(pct(c.percentOf(total)))
          .append(" |\n");
    }
  }

  private static void rateTarget(
      StringBuilder md, String what, Optional<Figures> a, Optional<Figures> b, double atLeast) {
    if (a.isEmpty() || b.isEmpty()) {
      return;
    }
    double ratio = a.get().perSecond() / b.get().perSecond();
    target(
        md,
        what,
        String.format(
            Locale.ROOT,
            "%s (%,.0f vs %,.0f tasks/s)",
            atLeast < 1 ? pct(100 * ratio) : times(ratio),
            a.get().perSecond(),
            b.get().perSecond()),
        ratio >= atLeast);
  }

  private static void latencyTarget(
      StringBuilder md, String what, Optional<Figures> a, Optional<Figures> b) {
    if (a.isEmpty() || b.isEmpty() || a.get().roundTrip() == null || b.get().roundTrip() == null) {
      return;
    }
    double ratio = a.get().roundTrip().p50() / b.get().roundTrip().p50();
    target(
        md,
        what,
        times(ratio)
            + " ("
            + ms(a.get().roundTrip().p50())
            + " vs "
            + ms(b.get().roundTrip().p50())
            + ")",
        ratio <= 0.5);
  }

  private static void target(StringBuilder md, String what, String figure, boolean met) {
    md.append("| ")
        .append(what)
        .append(" | ")
        .append(figure)
        .append(" | ")
        .append(met ? "met" : "**not met**")
        .append(" |\n");
  }

  /** Every round's rate, in round order, under the median; nothing for a single round. */
  private static String rounds(Figures x) {
    if (x.roundRates().size() < 2) {
      return "";
    }
    return "<br>rounds: "
        + String.join(
            ", ",
            x.roundRates().stream().map(r -> String.format(Locale.ROOT, "%,.0f", r)).toList());
  }

  private static Optional<Figures> find(List<Figures> f, Predicate<Contender> which) {
    return f.stream().filter(x -> which.test(x.contender())).findFirst();
  }

  /**
   * A Chervil worker against a do-nothing consumer at the same prefetch window as it and the Celery
   * worker it is compared with, and that consumer against the Celery worker: how far the broker
   * lets any worker at that window outrun this Celery worker.
   */
  private static void windowRows(
      StringBuilder md,
      Optional<Figures> chervil,
      Optional<Figures> raw,
      Optional<Figures> celery) {
    if (chervil.isEmpty() || raw.isEmpty() || celery.isEmpty()) {
      return;
    }
    Figures r = raw.get();
    int window = ((Contender.Raw) r.contender()).prefetch();
    md.append(
        String.format(
            Locale.ROOT,
            "| %s against raw consume+ack at its window, prefetch %d (no target) | %s (%,.0f vs"
                + " %,.0f tasks/s) | — |\n",
            chervil.get().contender().title(),
            window,
            times(chervil.get().perSecond() / r.perSecond()),
            chervil.get().perSecond(),
            r.perSecond()));
    md.append(
        String.format(
            Locale.ROOT,
            "| Raw consume+ack at prefetch %d against %s, at the same window (no target) | %s"
                + " (%,.0f vs %,.0f tasks/s) | — |\n",
            window,
            celery.get().contender().title(),
            times(r.perSecond() / celery.get().perSecond()),
            r.perSecond(),
            celery.get().perSecond()));
  }

  private static Predicate<Contender> raw(int prefetch) {
    return c -> c instanceof Contender.Raw r && r.prefetch() == prefetch;
  }

  private static Predicate<Contender> celery(String pool) {
    return c -> c instanceof Contender.Celery cc && cc.pool().equals(pool);
  }

  private static Predicate<Contender> chervil(String pool, boolean acksLate) {
    return c ->
        c instanceof Contender.Chervil cc && cc.pool().equals(pool) && cc.acksLate() == acksLate;
  }

  static String times(double ratio) {
    return String.format(Locale.ROOT, "%.2f×", ratio);
  }

  private static String pct(double v) {
    return String.format(Locale.ROOT, "%.1f%%", v);
  }

  private static String ms(double v) {
    return String.format(Locale.ROOT, "%.2f ms", v);
  }

  private static String mib(long kib) {
    return String.format(Locale.ROOT, "%.1f MiB", kib / 1024.0);
  }
}
