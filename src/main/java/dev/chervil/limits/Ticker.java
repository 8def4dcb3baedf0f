package dev.chervil.limits;

/** Monotonic time in nanoseconds; the one clock for measuring limits, replaceable in tests. */
@FunctionalInterface
public interface Ticker {
  Ticker SYSTEM = System::nanoTime;

  long nanoTime();
}
