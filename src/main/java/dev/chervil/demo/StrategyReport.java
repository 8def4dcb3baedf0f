package dev.chervil.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One strategy's figures: the iteration lines and the table row.
 *
 * @param mustNotLeak false only for the naive strategy, whose leak is the point
 * @param leakedProcesses processes alive (or unreaped) at the end that the strategy should have
 *     cleaned up: orphans, zombies, extra children, abandoned threads for the thread pool
 * @param leakedFds open fds at the end minus before the first iteration
 */
public record StrategyReport(
    String strategy,
    boolean mustNotLeak,
    List<String> lines,
    int timeouts,
    int completed,
    int maxChildren,
    int maxZombies,
    int leakedProcesses,
    int leakedFds,
    Duration wall) {

  public boolean leaked() {
    return leakedProcesses > 0 || leakedFds > 0;
  }

  static final class Builder {
    private final String strategy;
    private final boolean mustNotLeak;
    private final List<String> lines = new ArrayList<>();
    private int timeouts;
    private int completed;
    private int maxChildren;
    private int maxZombies;

    Builder(String strategy, boolean mustNotLeak) {
      this.strategy = strategy;
      this.mustNotLeak = mustNotLeak;
    }

    void iteration(String line, boolean done) {
      lines.add(line);
      if (done) {
        completed++;
      } else {
        timeouts++;
      }
      maxChildren = Math.max(maxChildren, field(line, "children"));
      maxZombies = Math.max(maxZombies, field(line, "zombies"));
    }

    StrategyReport build(Duration wall, int fdsBefore, int fdsAfter, int leakedProcesses) {
      return new StrategyReport(
          strategy,
          mustNotLeak,
          List.copyOf(lines),
          timeouts,
          completed,
          maxChildren,
          maxZombies,
          leakedProcesses,
          Math.max(0, fdsAfter - fdsBefore),
          wall);
    }

    private static int field(String line, String name) {
      for (String part : line.split(" ")) {
        if (part.startsWith(name + "=")) {
          return Integer.parseInt(part.substring(name.length() + 1).replace("+", ""));
        }
      }
      return 0;
    }
  }
}
