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
            + ProcFs.threadNames(ProcessHandle.current().pid())));
  }
}
