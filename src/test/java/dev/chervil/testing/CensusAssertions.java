package dev.chervil.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chervil.census.Census;
import dev.chervil.census.CensusBaseline;
import dev.chervil.census.CensusSource;
import dev.chervil.os.ProcFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/** The one way tests prove nothing leaked: the census returns to its baseline. */
public final class CensusAssertions {
  private static final long SELF = ProcessHandle.current().pid();

  private CensusAssertions() {}

  /**
   * Waits up to {@code within} for the census to equal the baseline (threads and processes wind
   * down asynchronously), then fails listing every difference, with what the threads, fds and child
   * processes are, so a failure in CI can be diagnosed from its report alone. Polls on the calling
   * thread: a poller thread of Awaitility's own would be counted as a leaked thread.
   */
  public static void assertBackToBaseline(
      CensusBaseline baseline, CensusSource source, int expectedChildren, Duration within) {
    await()
        .pollInSameThread()
        .atMost(within)
        .untilAsserted(
            () ->
                assertEquals(
                    List.of(),
                    baseline.differences(Census.take(source), expectedChildren),
                    () ->
                        "census differs from baseline; threads now: "
                            + ProcFs.threadNames(SELF)
                            + "; fds now: "
                            + fdTargets()
                            + "; children now: "
                            + children()));
  }

  /** Each child as pid/state/session/command, zombies included. */
  private static List<String> children() {
    return ProcFs.childrenOf(SELF).stream()
        .map(
            c ->
                c.pid()
                    + "/"
                    + c.state()
                    + "/sid="
                    + c.session()
                    + "/"
                    + read("/proc/" + c.pid() + "/comm"))
        .toList();
  }

  private static List<String> fdTargets() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.map(
              fd -> {
                try {
                  return fd.getFileName() + "->" + Files.readSymbolicLink(fd);
                } catch (IOException e) {
                  return fd.getFileName() + "->?";
                }
              })
          .sorted()
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file)).strip();
    } catch (IOException e) {
      return "?";
    }
  }
}
