package dev.chervil.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.os.ProcFs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The demo with small parameters: the measurement must be able to fail, so the naive strategy has
 * to show its leak, and Chervil's pools must show none.
 */
class LeakDemoTest {

  @Test
  void naiveStrategyLeaksAndChervilsPoolsDoNot() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LeakDemo demo =
        new LeakDemo(
            new DemoSettings(
                null,
                2,
                1_000_000,
                Duration.ofSeconds(1),
                "chervil.demo.test",
                List.of("threads", "processes", "isolate-naive")),
            new PrintStream(out, true, StandardCharsets.UTF_8));
    List<StrategyReport> reports;
    try {
      reports = demo.run();
    } finally {
      demo.cleanUpNaiveLeftovers();
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(3, reports.size(), text);
    for (StrategyReport r : reports) {
      assertEquals(2, r.timeouts(), r.strategy() + " timed out every query:\n" + text);
      assertEquals(2, r.lines().size());
    }
    StrategyReport threads = reports.get(0);
    StrategyReport processes = reports.get(1);
    StrategyReport naive = reports.get(2);
    assertFalse(threads.leaked(), text);
    assertFalse(processes.leaked(), text);
    assertEquals(3, processes.maxChildren(), "two slots and the spare:\n" + text);
    assertTrue(naive.leaked(), "the naive strategy leaves its query processes behind:\n" + text);
    assertEquals(2, naive.leakedProcesses(), text);
    assertTrue(
        text.contains("iter=1 strategy=processes outcome=timeout children=3 zombies=0 orphans=0"),
        text);
    assertEquals(
        List.of(),
        ProcFs.childrenOf(ProcessHandle.current().pid()),
        "after cleanup nothing of the demo is left");
  }
}
