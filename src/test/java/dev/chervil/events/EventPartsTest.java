package dev.chervil.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventPartsTest {
  @Test
  void utcoffsetIsHoursWestOfUtcFlooredAsPythonsTimezoneDiv3600() {
    assertEquals(0, EventDispatcher.utcoffset(ZoneOffset.UTC));
    assertEquals(-2, EventDispatcher.utcoffset(ZoneOffset.ofHours(2)));
    assertEquals(5, EventDispatcher.utcoffset(ZoneOffset.ofHours(-5)));
    // India, UTC+5:30: time.timezone = -19800, -19800 // 3600 = -6 in Python
    assertEquals(-6, EventDispatcher.utcoffset(ZoneOffset.ofHoursMinutes(5, 30)));
  }

  @Test
  void lamportClockForwardsAndAdjustsPastWhatItHears() {
    LamportClock c = new LamportClock();
    assertEquals(1, c.forward());
    assertEquals(11, c.adjust(10));
    assertEquals(12, c.adjust(3));
  }

  @Test
  void pythonReprOfJsonValues() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("a", 1);
    m.put("b", null);
    m.put("c", true);
    assertEquals("[1, 'two', {'a': 1, 'b': None, 'c': True}]", PyRepr.of(List.of(1, "two", m)));
    assertEquals("\"it's\"", PyRepr.of("it's"));
    assertEquals("ValueError('boom')", PyRepr.exception("ValueError", "boom"));
  }

  @Test
  void loadavgHasThreeFigures() {
    List<Double> l = WorkerHeartbeat.loadavg();
    assertEquals(3, l.size());
    assertTrue(l.stream().allMatch(v -> v >= 0));
  }
}
