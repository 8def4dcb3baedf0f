package dev.chervil.cli;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Optional;

/**
 * A quiet worker process gives back the heap its busy spells committed. G1 returns committed heap
 * only after a collection that finds it free, and a worker that goes quiet after a burst may not
 * collect for hours: {@code -P threads -c 4} held 323 MiB after a drain, 101 MiB after one GC
 * (docs/PERFORMANCE.md). JEP 346's periodic collection runs when none has run for an interval;
 * {@code chervil worker} turns it on at {@link #INTERVAL} unless the JVM was started with a value
 * of its own ({@code -XX:G1PeriodicGCInterval=0} turns it off). A busy worker collects far more
 * often than that, so it never fires there. An application that embeds Chervil keeps its JVM's
 * settings: only the worker command sets it.
 */
final class IdleHeapReturn {
  static final Duration INTERVAL = Duration.ofSeconds(30);
  private static final String FLAG = "G1PeriodicGCInterval";

  private IdleHeapReturn() {}

  /** Sets the interval if G1 runs and nobody chose one; returns the interval in effect, if any. */
  static Optional<Duration> enable() {
    try {
      return enable(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class));
    } catch (RuntimeException e) {
      // Not HotSpot, or the flag not writable: a nicety, not a reason for the worker to fail.
      return Optional.empty();
    }
  }

  private static Optional<Duration> enable(HotSpotDiagnosticMXBean vm) {
    if (vm == null || !"true".equals(option(vm, "UseG1GC").map(VMOption::getValue).orElse(""))) {
      return Optional.empty();
    }
    Optional<VMOption> interval = option(vm, FLAG);
    if (interval.isEmpty()) {
      return Optional.empty();
    }
    if (interval.get().getOrigin() == VMOption.Origin.DEFAULT) {
      vm.setVMOption(FLAG, Long.toString(INTERVAL.toMillis()));
    }
    long ms = Long.parseLong(vm.getVMOption(FLAG).getValue());
    return ms == 0 ? Optional.empty() : Optional.of(Duration.ofMillis(ms));
  }

  private static Optional<VMOption> option(HotSpotDiagnosticMXBean vm, String name) {
    try {
      return Optional.of(vm.getVMOption(name));
    } catch (IllegalArgumentException e) {
      return Optional.empty(); // a JVM without the flag
    }
  }
}
