package dev.chervil.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The process pool's section of docs/PERFORMANCE.md: the figures, the targets, the command and the
 * machine they came from.
 */
public final class PerformanceReport {
  static final double KILL_SLACK_MS = 50;
  static final double NEXT_TASK_MS = 50;
  static final double IDLE_RSS_MIB = 64;

  private PerformanceReport() {}

  /** The section's markdown (see {@link ReportSections} for how it is placed in the file). */
  public static String render(
      String command,
      Duration limit,
      ProcessPoolBench.KillFigures kills,
      List<Double> idleRssMib,
      int throughputTasks,
      double noopPerSecond,
      String broker) {
    Percentiles late = kills.limitToSettled();
    Percentiles gap = kills.settledToNextStart();
    double maxRss = idleRssMib.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    StringBuilder md = new StringBuilder();
    md.append("## Process pool\n\n")
        .append("- Command: `")
        .append(command)
        .append("`\n")
        .append("- When: ")
        .append(OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS))
        .append('\n')
        .append("- Machine: ")
        .append(Machine.describe())
        .append("\n\n")
        .append("| Measure | Figure | Target | Met |\n|---|---|---|---|\n");
    row(
        md,
        "Hard limit to task settled as killed, p50 / p99 / max ("
            + late.count()
            + " kills, limit "
            + limit.toMillis()
            + " ms)",
        ms(late.p50()) + " / " + ms(late.p99()) + " / " + ms(late.max()),
        "p99 within limit + " + (int) KILL_SLACK_MS + " ms",
        late.p99() <= KILL_SLACK_MS);
    row(
        md,
        "The same, for the first kill in a fresh worker JVM (not counted above)",
        ms(kills.firstLimitToSettled()),
        "none set",
        true);
    row(
        md,
        "Kill settled to next task started in that slot, p50 / p99 / max",
        ms(gap.p50()) + " / " + ms(gap.p99()) + " / " + ms(gap.max()),
        "p50 within " + (int) NEXT_TASK_MS + " ms",
        gap.p50() <= NEXT_TASK_MS);
    row(
        md,
        "Idle child RSS, max of " + idleRssMib.size() + " children",
        String.format(Locale.ROOT, "%.1f MiB (all: %s)", maxRss, mibList(idleRssMib)),
        "at most " + (int) IDLE_RSS_MIB + " MiB",
        maxRss <= IDLE_RSS_MIB);
    row(
        md,
        "No-op throughput, `-P processes -c 2`, " + throughputTasks + " tasks, results over rpc://",
        String.format(Locale.ROOT, "%.0f tasks/s", noopPerSecond),
        "none set",
        true);
    md.append("\nBroker for the throughput run: `")
        .append(broker.replaceAll("//[^@/]*@", "//"))
        .append("`.\n\n")
        .append("What each figure means:\n\n")
        .append(
            "- **Hard limit to settled**: a pool of one slot runs `chervil.debug.spin(60)` with the hard\n")
        .append(
            "  limit; the figure is the time from submit + limit to the task's outcome being settled as\n")
        .append(
            "  killed. It holds the deadline firing, SIGTERM to the child's session, the child's exit (or\n")
        .append(
            "  SIGKILL after 200 ms of grace), reading end of stream and the reap: an upper bound on the\n")
        .append(
            "  kill itself, since submit comes just before dispatch. "
                + ProcessPoolBench.WARM_UP_KILLS
                + " warm-up kills come first;\n")
        .append(
            "  the very first kill of a JVM links the native calls and loads the kill path's classes.\n")
        .append(
            "- **Kill to next task**: `chervil.debug.now` is queued behind the spinning task; the figure is\n")
        .append(
            "  from the killed task's settlement to the next task's start, by the clock of the child that\n")
        .append(
            "  ran it. The slot takes the warm spare, so no JVM start is in this path; each round begins\n")
        .append("  with the spare ready, as in a worker whose kills are not back to back.\n")
        .append(
            "- **Idle child RSS**: resident set of each child after it ran one no-op and idled 2 s.\n")
        .append(
            "- **Throughput**: a worker and a client in one JVM on the broker, 10% warm-up first; the clock\n")
        .append("  stops when the last result has been read.\n");
    return md.toString();
  }

  /**
   * Puts {@code sections} (name to markdown) into {@code file}, keeping the sections of other parts
   * that an earlier run wrote there; returns the whole file's new text.
   */
  public static String write(Path file, Map<String, String> sections) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    String existing = Files.exists(file) ? Files.readString(file) : null;
    String text = ReportSections.merge(existing, sections);
    Files.writeString(file, text);
    return text;
  }

  private static void row(
      StringBuilder md, String measure, String figure, String target, boolean met) {
    md.append("| ")
        .append(measure)
        .append(" | ")
        .append(figure)
        .append(" | ")
        .append(target)
        .append(" | ")
        .append(met ? "yes" : "**no**")
        .append(" |\n");
  }

  private static String ms(double v) {
    return String.format(Locale.ROOT, "%.1f ms", v);
  }

  private static String mibList(List<Double> values) {
    return String.join(
        ", ", values.stream().map(v -> String.format(Locale.ROOT, "%.1f", v)).toList());
  }
}
