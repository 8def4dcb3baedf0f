package dev.chervil.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.testing.Services;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The harness itself: a Python scenario that hangs fails its test in time and leaves nothing. */
class CeleryPeerTest {

  @Test
  void aHangingScenarioFailsAtItsTimeoutAndIsKilled() {
    Services.requirePythonCelery();
    CeleryPeer peer = new CeleryPeer(Services.RABBITMQ_URL, "rpc://", "interop.unused");
    long start = System.nanoTime();
    AssertionError e =
        assertThrows(AssertionError.class, () -> peer.run("hang", Duration.ofSeconds(3)));
    long tookMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
    assertTrue(e.getMessage().contains("did not finish"), e.getMessage());
    assertTrue(tookMillis < 15_000, "took " + tookMillis + " ms");
    List<String> left =
        ProcessHandle.current()
            .descendants()
            .filter(ProcessHandle::isAlive)
            .filter(h -> h.info().commandLine().orElse("").contains("celery_peer.py"))
            .map(h -> h.pid() + " " + h.info().commandLine().orElse("?"))
            .toList();
    assertEquals(List.of(), left, "python left behind");
  }
}
