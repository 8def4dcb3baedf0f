package dev.chervil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class IdleHeapReturnTest {
  private static final HotSpotDiagnosticMXBean VM =
      ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);

  @Test
  void turnsOnG1sPeriodicCollectionAndKeepsAnIntervalSomeoneElseChose() {
    if (!"true".equals(VM.getVMOption("UseG1GC").getValue())) {
      // Serial or Parallel (ergonomics on a small machine): nothing to turn on, nothing changed.
      String before = VM.getVMOption("G1PeriodicGCInterval").getValue();
      assertEquals(Optional.empty(), IdleHeapReturn.enable());
      assertEquals(before, VM.getVMOption("G1PeriodicGCInterval").getValue());
      return;
    }
    assertEquals(Optional.of(IdleHeapReturn.INTERVAL), IdleHeapReturn.enable());
    assertEquals("30000", VM.getVMOption("G1PeriodicGCInterval").getValue());

    VM.setVMOption("G1PeriodicGCInterval", "45000"); // as if the JVM had been started with it
    try {
      assertEquals(Optional.of(Duration.ofSeconds(45)), IdleHeapReturn.enable());
      assertEquals("45000", VM.getVMOption("G1PeriodicGCInterval").getValue());
      VM.setVMOption("G1PeriodicGCInterval", "0");
      assertEquals(Optional.empty(), IdleHeapReturn.enable());
      assertEquals("0", VM.getVMOption("G1PeriodicGCInterval").getValue());
    } finally {
      VM.setVMOption("G1PeriodicGCInterval", "30000");
    }
  }
}
