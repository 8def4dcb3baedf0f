package dev.chervil.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a worker spends its CPU, from a flight recording's {@code jdk.ExecutionSample} events: the
 * hottest top frames (what {@code jfr view hot-methods} shows), the hottest first Chervil frame of
 * each stack (which of our code leads there), and the same per thread, with numbered threads
 * ({@code chervil-slot-3}) counted as one ({@code chervil-slot-#}).
 */
final class HotFrames {
  static final String CHERVIL = "dev.chervil.";

  /** One execution sample: its thread and its frames, top first, as {@code Class.method}. */
  record Sample(String thread, List<String> frames) {}

  /** A frame or thread and how many samples it holds. */
  record Count(String name, long samples) {
    double percentOf(long total) {
      return total == 0 ? 0 : 100.0 * samples / total;
    }
  }

  /** One thread (group): its samples and its hottest top frames. */
  record ThreadShare(String thread, long samples, List<Count> topFrames) {}

  record Profile(
      long samples,
      List<Count> topFrames,
      List<Count> topChervilFrames,
      List<ThreadShare> threads) {}

  private HotFrames() {}

  /** Reads the samples of {@code jfr} taken from {@code from} to {@code to}. */
  static List<Sample> read(Path jfr, Instant from, Instant to) throws IOException {
    List<Sample> samples = new ArrayList<>();
    try (RecordingFile file = new RecordingFile(jfr)) {
      while (file.hasMoreEvents()) {
        RecordedEvent e = file.readEvent();
        if (!e.getEventType().getName().equals("jdk.ExecutionSample")
            || e.getStartTime().isBefore(from)
            || e.getStartTime().isAfter(to)
            || e.getStackTrace() == null) {
          continue;
        }
        RecordedThread t = e.getThread("sampledThread");
        String thread = t == null ? "?" : String.valueOf(t.getJavaName());
        List<String> frames = new ArrayList<>();
        for (RecordedFrame f : e.getStackTrace().getFrames()) {
          frames.add(f.getMethod().getType().getName() + "." + f.getMethod().getName());
        }
        samples.add(new Sample(thread, frames));
      }
    }
    return samples;
  }

  /** The hottest {@code top} frames overall and per thread group ({@code perThread} each). */
  static Profile aggregate(List<Sample> samples, int top, int perThread) {
    Map<String, Long> frames = new HashMap<>();
    Map<String, Long> chervil = new HashMap<>();
    Map<String, Map<String, Long>> byThread = new HashMap<>();
    for (Sample s : samples) {
      if (s.frames().isEmpty()) {
        continue;
      }
      String topFrame = s.frames().getFirst();
      frames.merge(topFrame, 1L, Long::sum);
      s.frames().stream()
          .filter(f -> f.startsWith(CHERVIL))
          .findFirst()
          .ifPresent(f -> chervil.merge(f, 1L, Long::sum));
      byThread
          .computeIfAbsent(threadGroup(s.thread()), k -> new HashMap<>())
          .merge(topFrame, 1L, Long::sum);
    }
    long total = frames.values().stream().mapToLong(Long::longValue).sum();
    List<ThreadShare> threads = new ArrayList<>();
    byThread.forEach(
        (thread, counts) ->
            threads.add(
                new ThreadShare(
                    thread,
                    counts.values().stream().mapToLong(Long::longValue).sum(),
                    hottest(counts, perThread))));
    threads.sort(
        Comparator.comparingLong(ThreadShare::samples)
            .reversed()
            .thenComparing(ThreadShare::thread));
    return new Profile(total, hottest(frames, top), hottest(chervil, top), threads);
  }

  /** A thread's name with its numbers replaced, so a pool's threads add up as one. */
  static String threadGroup(String name) {
    return name.replaceAll("\\d+", "#");
  }

  private static List<Count> hottest(Map<String, Long> counts, int n) {
    Map<String, Long> ordered = new LinkedHashMap<>();
    counts.entrySet().stream()
        .sorted(
            Map.Entry.<String, Long>comparingByValue()
                .reversed()
                .thenComparing(Map.Entry.comparingByKey()))
        .limit(n)
        .forEachOrdered(e -> ordered.put(e.getKey(), e.getValue()));
    List<Count> out = new ArrayList<>();
    ordered.forEach((k, v) -> out.add(new Count(k, v)));
    return out;
  }
}
