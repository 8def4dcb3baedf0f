package dev.chervil.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HotFramesTest {

  private static HotFrames.Sample sample(String thread, String... frames) {
    return new HotFrames.Sample(thread, List.of(frames));
  }

  @Test
  void ranksTopFramesAndFirstChervilFramesAndFoldsNumberedThreads() {
    List<HotFrames.Sample> samples =
        List.of(
            sample("chervil-settler", "java.util.Arrays.copyOf", "dev.chervil.os.ProcFs.stat"),
            sample("chervil-settler", "java.util.Arrays.copyOf", "dev.chervil.os.ProcFs.stat"),
            sample("chervil-settler", "java.lang.String.split", "dev.chervil.os.ProcFs.stat"),
            sample("chervil-slot-1", "java.util.Arrays.copyOf", "dev.chervil.pool.Slot.run"),
            sample("chervil-slot-12", "com.rabbitmq.X.read", "java.lang.Thread.run"),
            sample("main"));
    HotFrames.Profile p = HotFrames.aggregate(samples, 2, 1);

    assertEquals(5, p.samples(), "a sample without frames is not counted");
    assertEquals(
        List.of(
            new HotFrames.Count("java.util.Arrays.copyOf", 3),
            new HotFrames.Count("com.rabbitmq.X.read", 1)),
        p.topFrames(),
        "by count, then by name; cut at 2");
    assertEquals(
        List.of(
            new HotFrames.Count("dev.chervil.os.ProcFs.stat", 3),
            new HotFrames.Count("dev.chervil.pool.Slot.run", 1)),
        p.topChervilFrames());
    assertEquals(
        List.of(
            new HotFrames.ThreadShare(
                "chervil-settler", 3, List.of(new HotFrames.Count("java.util.Arrays.copyOf", 2))),
            new HotFrames.ThreadShare(
                "chervil-slot-#", 2, List.of(new HotFrames.Count("com.rabbitmq.X.read", 1)))),
        p.threads());
    assertEquals(60.0, p.topFrames().getFirst().percentOf(p.samples()), 1e-9);
  }

  @Test
  void readsTheExecutionSamplesOfARealRecordingWithinItsWindow(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("spin.jfr");
    Instant from;
    Instant to;
    try (Recording r = new Recording()) {
      r.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
      r.start();
      from = Instant.now();
      Thread spinner = new Thread(HotFramesTest::spin, "bench-spinner-7");
      spinner.start();
      spinner.join();
      to = Instant.now();
      r.stop();
      r.dump(file);
    }
    assertTrue(Files.size(file) > 0);

    List<HotFrames.Sample> inside = HotFrames.read(file, from, to);
    assertTrue(
        inside.stream()
            .anyMatch(
                s ->
                    s.thread().equals("bench-spinner-7")
                        && s.frames().contains(HotFramesTest.class.getName() + ".spin")),
        "the spinning thread is sampled in its own frame: " + inside.size() + " samples");
    assertEquals(
        "bench-spinner-#",
        HotFrames.aggregate(inside, 15, 5).threads().stream()
            .map(HotFrames.ThreadShare::thread)
            .filter(t -> t.startsWith("bench-"))
            .findFirst()
            .orElseThrow());
    assertEquals(List.of(), HotFrames.read(file, to.plusSeconds(60), to.plusSeconds(61)));
  }

  /** Burns CPU for a second so the sampler, even on a loaded machine, catches this thread. */
  private static void spin() {
    long end = System.nanoTime() + Duration.ofSeconds(1).toNanos();
    double x = 0;
    while (System.nanoTime() < end) {
      x += Math.sqrt(x + 1);
    }
    if (x < 0) {
      System.out.println(x);
    }
  }
}
