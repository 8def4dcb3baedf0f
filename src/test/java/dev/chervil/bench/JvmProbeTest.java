package dev.chervil.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JvmProbeTest {

  @Test
  void readsG1sUsedHeap() {
    String g1 =
        "5095:\n"
            + "garbage-first heap   total reserved 6172672K, committed 393216K, used 5466K"
            + " [0x0000000687400000, 0x0000000800000000)\n"
            + " region size 4096K, 2 young (8192K), 1 survivors (4096K)\n"
            + " Metaspace       used 21000K, committed 21504K, reserved 1114112K\n"
            + "  class space    used 2000K, committed 2200K, reserved 1048576K\n";
    assertEquals(5466, JvmProbe.usedHeapKib(g1));
  }

  @Test
  void sumsTheGenerationsOfSerialGc() {
    String serial =
        " def new generation   total 4928K, used 1234K [0x1, 0x2, 0x3)\n"
            + "  eden space 4416K,  12% used [0x1, 0x2, 0x3)\n"
            + " tenured generation   total 10944K, used 766K [0x1, 0x2, 0x3)\n"
            + " Metaspace       used 900K, committed 1024K, reserved 1056768K\n";
    assertEquals(2000, JvmProbe.usedHeapKib(serial));
  }

  @Test
  void refusesTextWithoutAHeap() {
    assertThrows(IllegalArgumentException.class, () -> JvmProbe.usedHeapKib("1234:\nno such\n"));
  }

  @Test
  void readsTheHeapOfThisJvmThroughJcmd() throws Exception {
    long kib = JvmProbe.heapAfterGcKib(ProcessHandle.current().pid());
    long used = Runtime.getRuntime().totalMemory() / 1024;
    assertTrue(kib > 0 && kib <= used, kib + " KiB used of " + used + " KiB committed");
  }
}
