package dev.chervil.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The small parts of a node: names, rates, revoked ids, matchers, signals. */
class NodePartsTest {
  @Test
  void nodeNamesExpandAsCelerysDo() {
    assertEquals("chervil@box.example.com", NodeName.expand("chervil@%h", "box.example.com"));
    assertEquals("w1@box", NodeName.expand("w1@%n", "box.example.com"));
    assertEquals("w1@example.com", NodeName.expand("w1@%d", "box.example.com"));
    assertEquals("w%1@box", NodeName.expand("w%%1@%n", "box"));
    assertEquals("worker1@box", NodeName.expand("worker1", "box"));
  }

  @Test
  void ratesParseLikeCelerysAndRefuseNonsense() {
    assertEquals(10 / 60.0, TaskOverrides.parseRate("10/m"), 1e-9);
    assertEquals(5, TaskOverrides.parseRate("5/s"), 1e-9);
    assertEquals(2, TaskOverrides.parseRate("2"), 1e-9);
    assertEquals(1 / 3600.0, TaskOverrides.parseRate("1/h"), 1e-12);
    assertEquals(0, TaskOverrides.parseRate("0"));
    assertEquals(0, TaskOverrides.parseRate(null));
    assertThrows(IllegalArgumentException.class, () -> TaskOverrides.parseRate("ten/m"));
    assertThrows(IllegalArgumentException.class, () -> TaskOverrides.parseRate("10/x"));
  }

  @Test
  void aRateLimitSpacesStartsAndCanBeLifted() {
    TaskOverrides o = new TaskOverrides();
    assertEquals(0, o.admit("t"));
    o.rateLimit("t", "2/s");
    assertEquals(0, o.admit("t"));
    long second = o.admit("t");
    long third = o.admit("t");
    assertTrue(second > 400_000_000L && second <= 500_000_000L, "second waits " + second);
    assertTrue(third > 900_000_000L && third <= 1_000_000_000L, "third waits " + third);
    o.rateLimit("t", "0");
    assertEquals(0, o.admit("t"));
    assertEquals(null, o.rateLimitOf("t"));
  }

  @Test
  void revokedIdsSurviveARestartThroughTheStateFile(@TempDir Path dir) {
    Path db = dir.resolve("worker.state");
    new RevokedIds(db).addAll(List.of("a", "b"));
    assertTrue(Files.exists(db));
    RevokedIds again = new RevokedIds(db);
    assertTrue(again.contains("a") && again.contains("b"));
    assertFalse(again.contains("c"));
  }

  @Test
  void revokedIdsKeepTheNewestWhenFullAndForgetTheExpired() {
    RevokedIds few = new RevokedIds(2, Duration.ofHours(1), null);
    few.addAll(List.of("1", "2", "3"));
    assertEquals(List.of("2", "3"), few.ids());
    RevokedIds brief = new RevokedIds(10, Duration.ZERO, null);
    brief.addAll(List.of("x"));
    assertFalse(brief.contains("x"));
  }

  @Test
  void globAndPcreMatchersSelectNodes() {
    assertTrue(PidboxNames.matches("chervil@box", "chervil@*", "glob"));
    assertFalse(PidboxNames.matches("celery@box", "chervil@*", "glob"));
    assertTrue(PidboxNames.matches("w12@box", "w1\\d@", "pcre"));
    assertFalse(PidboxNames.matches("xw12@box", "w1\\d@", "pcre"));
  }

  @Test
  void signalsReadAsCeleryReadsThem() {
    assertEquals(9, Signals.number("KILL"));
    assertEquals(9, Signals.number("SIGKILL"));
    assertEquals(15, Signals.number(null));
    assertEquals(2, Signals.number("2"));
    assertThrows(IllegalArgumentException.class, () -> Signals.number("SIGNOPE"));
  }
}
