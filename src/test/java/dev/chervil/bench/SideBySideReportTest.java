package dev.chervil.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SideBySideReportTest {
  private static final Percentiles FAST = Percentiles.of(List.of(1.0, 1.2));
  private static final Percentiles SLOW = Percentiles.of(List.of(3.0, 3.5));
  private static final Percentiles FLOOR = Percentiles.of(List.of(0.9, 0.9));

  private static SideBySideBench.Figures figures(
      Contender c, double seconds, Percentiles rt, long rssKib) {
    return new SideBySideBench.Figures(
        c, 10_000, seconds, 1.0, rt, rssKib, rssKib / 2, true, List.of(10_000 / seconds));
  }

  @Test
  void writesRatiosAndWhetherEachTargetIsMet() {
    List<SideBySideBench.Figures> f =
        List.of(
            // The raw loops at a worker's window come first: the ceiling is still prefetch 100's.
            figures(new Contender.Raw(8), 2.0, SLOW, 50_000), // 5,000/s
            figures(new Contender.Raw(4), 2.5, SLOW, 50_000), // 4,000/s
            figures(new Contender.Raw(100), 1.0, FLOOR, 50_000), // 10,000/s
            figures(new Contender.Celery("prefork", 2), 5.0, SLOW, 120 * 1024), // 2,000/s
            figures(new Contender.Celery("solo", 1), 5.0, SLOW, 60 * 1024), // 2,000/s
            figures(new Contender.Chervil("threads", 4, false), 1.25, FAST, 80 * 1024), // 8,000/s
            figures(new Contender.Chervil("threads", 4, true), 2.5, FAST, 80 * 1024), // 4,000/s
            figures(new Contender.Chervil("processes", 2, false), 4.0, SLOW, 300 * 1024),
            figures(new Contender.Chervil("solo", 1, false), 2.5, FAST, 70 * 1024)); // 4,000/s
    SideBySideBench.Result r =
        new SideBySideBench.Result(f, List.of(), List.of(), null, "3.10.8", "5.2.6");
    SideBySideBench.Settings s =
        new SideBySideBench.Settings(
            10_000, 10_000, 300, 2_000, 1, 0, List.of(), 0, List.of(), null, null);
    Map<String, String> sections =
        SideBySideReport.sections(r, s, "./chervil bench", "1.0", "before");
    String md = sections.get("side-by-side");

    assertTrue(
        sections.keySet().equals(java.util.Set.of("side-by-side")), sections.keySet().toString());
    assertTrue(md.contains("| Chervil `-P threads -c 4` | 8,000 tasks/s | 4.00× |"), md);
    assertTrue(
        md.contains("drain ≥ 4× Celery prefork -c 2 | 4.00× (8,000 vs 2,000 tasks/s) | met |"), md);
    assertTrue(
        md.contains("≥ 60% of raw consume+ack | 80.0% (8,000 vs 10,000 tasks/s) | met |"), md);
    assertTrue(
        md.contains(
            "`-P processes -c 2` drain ≥ 2× Celery prefork -c 2 | 1.25× (2,500 vs 2,000 tasks/s) | **not met** |"),
        md);
    assertTrue(
        md.contains("`-P solo` drain ≥ 2× Celery solo | 2.00× (4,000 vs 2,000 tasks/s) | met |"),
        md);
    assertTrue(
        md.contains(
            "`-P threads -c 4` round trip p50 ≤ ½ Celery prefork's | 0.33× (1.00 ms vs 3.00 ms) | met |"),
        md);
    assertTrue(md.contains("`-P processes -c 2` round trip p50 ≤ ½ Celery prefork's | 1.00×"), md);
    assertTrue(
        md.contains(
            "idle tree RSS ≤ 1.5× Celery prefork -c 2's | 2.50× (300.0 MiB vs 120.0 MiB); after GC in every JVM 150.0 MiB, 1.25× | **not met** |"),
        md);
    assertTrue(
        md.contains(
            "`-P threads --acks-late` reported (no target) | 4,000 tasks/s, 0.50× of early acks"),
        md);
    assertTrue(
        md.contains("round trip: 300 sequential calls, after 2,000 not timed sent at once"), md);
    assertTrue(
        md.contains(
            "| Round trip floor: raw amqp-client's echo p50, no worker in it (no target) | 0.30× (0.90 ms vs 3.00 ms) | — |"),
        md);
    assertTrue(
        md.contains(
            "| Chervil `-P processes -c 2` against raw consume+ack at its window, prefetch 8 (no target) | 0.50× (2,500 vs 5,000 tasks/s) | — |"),
        md);
    assertTrue(
        md.contains(
            "| Raw consume+ack at prefetch 8 against Python Celery 5.2 `--pool=prefork -c 2`, at the same window (no target) | 2.50× (5,000 vs 2,000 tasks/s) | — |"),
        md);
    assertTrue(
        md.contains(
            "| Chervil `-P solo` against raw consume+ack at its window, prefetch 4 (no target) | 1.00× (4,000 vs 4,000 tasks/s) | — |"),
        md);
    assertTrue(
        md.contains(
            "| Raw consume+ack at prefetch 4 against Python Celery 5.2 `--pool=solo`, at the same window (no target) | 2.00× (4,000 vs 2,000 tasks/s) | — |"),
        md);
    assertTrue(
        md.contains(
            "| Chervil `-P threads -c 4`: the worker's own part, p50 − floor, against Celery prefork's (no target) | 0.05× (0.10 ms vs 2.10 ms) | — |"),
        md);
  }

  @Test
  void aWorkersRowIsItsMedianRoundAndListsEveryRound() {
    Contender c = new Contender.Chervil("threads", 4, false);
    SideBySideBench.Figures slow = figures(c, 2.0, SLOW, 100 * 1024); // 5,000/s
    SideBySideBench.Figures mid = figures(c, 1.25, FAST, 90 * 1024); // 8,000/s
    SideBySideBench.Figures fast = figures(c, 1.0, FAST, 80 * 1024); // 10,000/s
    SideBySideBench.Figures unacked =
        new SideBySideBench.Figures(
            c, 10_000, 1.0, 1.0, FAST, 80 * 1024, 40 * 1024, false, List.of(10_000.0));

    SideBySideBench.Figures m = SideBySideBench.Figures.median(List.of(fast, slow, mid));
    assertEquals(8_000.0, m.perSecond(), 0.01);
    assertEquals(90 * 1024, m.idleTreeRssKib()); // the median turn's own RSS and round trip
    assertEquals(List.of(10_000.0, 5_000.0, 8_000.0), m.roundRates()); // in round order
    assertTrue(m.allAcked());
    assertFalse(SideBySideBench.Figures.median(List.of(fast, unacked, mid)).allAcked());

    SideBySideBench.Result r =
        new SideBySideBench.Result(List.of(m), List.of(), List.of(), null, "3.10.8", "5.2.6");
    SideBySideBench.Settings s =
        new SideBySideBench.Settings(
            10_000, 10_000, 300, 2_000, 3, 0, List.of(), 0, List.of(), null, null);
    String md = SideBySideReport.sections(r, s, "./chervil bench", "1.0", "x").get("side-by-side");
    assertTrue(md.contains("| 8,000 tasks/s<br>rounds: 10,000, 5,000, 8,000 |"), md);
    assertTrue(md.contains("- Rounds: 3 "), md);
  }
}
