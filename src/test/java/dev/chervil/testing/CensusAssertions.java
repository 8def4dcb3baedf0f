package dev.chervil.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chervil.census.Census;
import dev.chervil.census.CensusBaseline;
import dev.chervil.census.CensusSource;
import dev.chervil.os.ProcFs;
import java.time.Duration;
import java.util.List;

/** The one way tests prove nothing leaked: the census returns to its baseline. */
public final class CensusAssertions {
  private CensusAssertions() {}

  private static java.util.List<String> fdTargets() {
    try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
      return fds.map(fd -> {
        try {
          return fd.getFileName() + "->" + java.nio.file.Files.readSymbolicLink(fd);
        } catch (java.io.IOException e) {
          return fd.getFileName() + "->?";
        }
      }).sorted().toList();
    } catch (java.io.IOException e) {
      return java.util.List.of();
    }
  }

  /**
   * Waits up to {@code within} for the census to equal the baseline (threads and processes wind
   * down asynchronously), then fails listing every difference. Polls on the calling thread: a
   * poller thread of Awaitility's own would be counted as a leaked thread.
   */
  public static void assertBackToBaseline(CensusBaseline baseline, CensusSource source,
      int expectedChildren, Duration within) {
    await().pollInSameThread().atMost(within).untilAsserted(() -> assertEquals(List.of(),
        baseline.differences(Census.take(source), expectedChildren),
        () -> "census differs from baseline; threads now: "
            + ProcFs.threadNames(ProcessHandle.current().pid()) + "; fds now: " + fdTargets()));
  }
}
