package dev.chervil.census;

import java.util.ArrayList;
import java.util.List;

/**
 * A census taken when the worker was idle and warm, to compare later snapshots against. The
 * comparison is exact for processes (children, zombies, orphans) and abandoned threads; fds and
 * threads may not exceed the baseline. Census already leaves out the threads the JVM starts and
 * stops on its own.
 */
public record CensusBaseline(CensusSnapshot at) {

  /**
   * What differs from the baseline, one readable line per difference; empty when nothing leaked.
   *
   * @param expectedChildren the pool's size for a process pool, 0 otherwise
   */
  public List<String> differences(CensusSnapshot now, int expectedChildren) {
    List<String> diffs = new ArrayList<>();
    if (now.children() != expectedChildren) {
      diffs.add("children=" + now.children() + " expected " + expectedChildren);
    }
    if (now.zombies() != 0) {
      diffs.add("zombies=" + now.zombies() + " expected 0");
    }
    if (now.orphans() != 0) {
      diffs.add("orphans=" + now.orphans() + " expected 0");
    }
    // Above the baseline is a leak; below it is not: the JDK closes some fds of its own lazily (jar
    // files, selector pipes), so a baseline can hold a few that later go away.
    if (now.fds() > at.fds()) {
      diffs.add("fds=" + now.fds() + " baseline " + at.fds());
    }
    if (now.threads() > at.threads()) {
      diffs.add("threads=" + now.threads() + " baseline " + at.threads());
    }
    if (now.abandoned() != at.abandoned()) {
      diffs.add("abandoned=" + now.abandoned() + " baseline " + at.abandoned());
    }
    return diffs;
  }
}
