package dev.chervil.bench;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessTreeRssTest {

  @Test
  void readsVmRssInKibFromAStatusFile() {
    String status = "Name:\tjava\nVmPeak:\t  999 kB\nVmRSS:\t   77020 kB\nRssAnon:\t 1 kB\n";
    assertEquals(77020, ProcessTreeRss.vmRssKib(status));
  }

  @Test
  void aStatusWithoutVmRssCountsAsNothing() {
    assertEquals(0, ProcessTreeRss.vmRssKib("Name:\tzombie\nState:\tZ (zombie)\n"));
  }

  @Test
  void sumsTheProcessAndAllItsDescendants() throws Exception {
    // sh -> sleep (child) and sh -> sh -> sleep (grandchild): idle, so their RSS holds still.
    Process root =
        new ProcessBuilder("sh", "-c", "sleep 30 & sh -c 'sleep 30 & wait' & wait").start();
    try {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> root.descendants().filter(h -> isSleep(h)).count() == 2);
      List<Long> tree =
          java.util.stream.Stream.concat(
                  java.util.stream.Stream.of(root.pid()),
                  root.descendants().map(ProcessHandle::pid))
              .toList();
      assertTrue(tree.size() >= 3, "the root and both sleeps at least: " + tree);
      long each = tree.stream().mapToLong(ProcessTreeRss::processKib).sum();
      assertTrue(each > ProcessTreeRss.processKib(root.pid()));
      assertEquals(each, ProcessTreeRss.kib(root.pid()));
    } finally {
      List<ProcessHandle> tree = root.descendants().toList();
      root.destroyForcibly().waitFor();
      tree.forEach(ProcessHandle::destroyForcibly);
      tree.forEach(h -> h.onExit().join());
    }
  }

  @Test
  void aProcessThatIsGoneCountsAsNothing() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    assertEquals(0, ProcessTreeRss.kib(p.pid()));
  }

  private static boolean isSleep(ProcessHandle h) {
    return h.info().command().map(c -> c.endsWith("/sleep")).orElse(false);
  }
}
