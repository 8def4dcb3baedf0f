package dev.chervil.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/** The machine a figure came from, in one line: cores, CPU, memory, kernel and JDK. */
public final class Machine {
  private Machine() {}

  static String describe() {
    return String.format(
        Locale.ROOT,
        "%d cores (%s), %s RAM, %s %s, Java %s (%s)",
        Runtime.getRuntime().availableProcessors(),
        firstValue("/proc/cpuinfo", "model name"),
        firstValue("/proc/meminfo", "MemTotal"),
        System.getProperty("os.name"),
        System.getProperty("os.version"),
        Runtime.version(),
        System.getProperty("java.vendor"));
  }

  /** The 1-minute load average: on a shared machine it says how far the figures are to be read. */
  public static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+")[0];
    } catch (IOException e) {
      return "?";
    }
  }

  private static String firstValue(String file, String key) {
    try (Stream<String> lines = Files.lines(Path.of(file))) {
      return lines
          .filter(l -> l.startsWith(key))
          .map(l -> l.substring(l.indexOf(':') + 1).strip())
          .findFirst()
          .orElse("?");
    } catch (IOException e) {
      return "?";
    }
  }
}
