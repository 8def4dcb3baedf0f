package dev.chervil.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class PercentilesTest {

  @Test
  void nearestRankOverAShuffledSample() {
    List<Double> sample = new ArrayList<>();
    for (int i = 1; i <= 200; i++) {
      sample.add((double) i);
    }
    Collections.shuffle(sample);
    Percentiles p = Percentiles.of(sample);
    assertEquals(200, p.count());
    assertEquals(100.0, p.p50());
    assertEquals(198.0, p.p99());
    assertEquals(200.0, p.max());
  }

  @Test
  void oneSampleIsEveryPercentile() {
    Percentiles p = Percentiles.of(List.of(7.5));
    assertEquals(7.5, p.p50());
    assertEquals(7.5, p.p99());
  }

  @Test
  void noSampleIsAnError() {
    assertThrows(IllegalArgumentException.class, () -> Percentiles.of(List.of()));
  }
}
