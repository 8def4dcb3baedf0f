package dev.chervil.events;

import dev.chervil.threads.Watchdog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * worker-online, worker-heartbeat every {@link #FREQ_SECONDS} and worker-offline, as
 * celery/worker/heartbeat.py sends them, whether task events are on or not. A monitor counts the
 * worker alive while {@code now < timestamp + freq * 2}.
 *
 * <p>Lifecycle: {@link #start()} sends online and starts the timer; {@link #close()} stops it and
 * sends offline. Both idempotent.
 */
public final class WorkerHeartbeat implements AutoCloseable {
  public static final double FREQ_SECONDS = 2.0;
  public static final String SW_IDENT = "chervil";
  public static final String SW_VER = "0.1.0";

  private final EventDispatcher events;
  private final LongSupplier active;
  private final LongSupplier processed;
  private ScheduledExecutorService timer; // guarded by this
  private boolean closed; // guarded by this

  /**
   * @param active tasks running now
   * @param processed tasks this worker has finished since it started
   */
  public WorkerHeartbeat(EventDispatcher events, LongSupplier active, LongSupplier processed) {
    this.events = events;
    this.active = active;
    this.processed = processed;
  }

  public synchronized void start() {
    if (timer != null || closed) {
      return;
    }
    events.send("worker-online", fields(FREQ_SECONDS));
    timer = Executors.newSingleThreadScheduledExecutor(Watchdog.threads("chervil-heartbeat"));
    long period = (long) (FREQ_SECONDS * 1000);
    // Guarded: a scheduled executor cancels a periodic action for good the first time it throws.
    timer.scheduleAtFixedRate(
        Watchdog.guarded("heartbeat", this::beat), period, period, TimeUnit.MILLISECONDS);
  }

  /** One heartbeat now (the {@code heartbeat} control command). */
  public void beat() {
    events.send("worker-heartbeat", fields(FREQ_SECONDS));
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (timer != null) {
      timer.shutdownNow();
      events.send("worker-offline", fields(FREQ_SECONDS));
    }
  }

  /** sw_* as Celery's {@code SOFTWARE_INFO}. */
  public static Map<String, Object> softwareInfo() {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("sw_ident", SW_IDENT);
    f.put("sw_ver", SW_VER);
    f.put("sw_sys", "Linux");
    return f;
  }

  private Map<String, Object> fields(double freq) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("freq", freq);
    f.put("active", active.getAsLong());
    f.put("processed", processed.getAsLong());
    f.put("loadavg", loadavg());
    f.putAll(softwareInfo());
    return f;
  }

  /** /proc/loadavg's three figures, rounded to 2 places as Celery does. */
  static List<Double> loadavg() {
    List<Double> out = new ArrayList<>(3);
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      for (int i = 0; i < 3; i++) {
        out.add(Math.round(Double.parseDouble(parts[i]) * 100) / 100.0);
      }
    } catch (Exception e) {
      return List.of(0.0, 0.0, 0.0);
    }
    return out;
  }
}
