package dev.chervil.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A running worker JVM seen through {@code jcmd}: its heap right after a full GC. */
final class JvmProbe {
  private static final Pattern USED = Pattern.compile("used (\\d+)K");

  private JvmProbe() {}

  /** {@code jcmd PID GC.run}, then the heap's used KiB from {@code jcmd PID GC.heap_info}. */
  static long heapAfterGcKib(long pid) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    return usedHeapKib(jcmd(pid, "GC.heap_info"));
  }

  /**
   * The used KiB of the heap in {@code GC.heap_info}'s text: G1 prints one {@code garbage-first
   * heap ... used NK} line, Serial and Parallel one line per generation (summed). Metaspace is not
   * heap; the per-space lines under a generation give percentages, not KiB.
   */
  static long usedHeapKib(String heapInfo) {
    long used = 0;
    boolean found = false;
    for (String line : heapInfo.split("\n")) {
      String s = line.strip();
      if (s.startsWith("Metaspace") || s.startsWith("class space")) {
        continue;
      }
      Matcher m = USED.matcher(s);
      if (m.find()) {
        used += Long.parseLong(m.group(1));
        found = true;
      }
    }
    if (!found) {
      throw new IllegalArgumentException("no heap usage in: " + heapInfo);
    }
    return used;
  }

  /**
   * Runs {@code jcmd PID COMMAND...} from the JDK running the bench and returns its output. The
   * output goes to a file, so the 60 s bound holds even when jcmd never finishes (reading a pipe
   * first would wait for it forever).
   */
  static String jcmd(long pid, String... command) throws IOException, InterruptedException {
    Path java = Path.of(BenchEnv.currentJava());
    String jcmd = java.resolveSibling("jcmd").toString();
    List<String> argv = new java.util.ArrayList<>(List.of(jcmd, Long.toString(pid)));
    argv.addAll(List.of(command));
    Path out = Files.createTempFile("chervil-jcmd", ".out");
    Process p =
        new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    try {
      boolean exited = p.waitFor(60, TimeUnit.SECONDS);
      String text = Files.readString(out, StandardCharsets.UTF_8);
      if (!exited || p.exitValue() != 0) {
        throw new IllegalStateException(
            "jcmd "
                + String.join(" ", command)
                + (exited ? " failed: " : " did not finish in 60 s: ")
                + text);
      }
      return text;
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(out);
    }
  }
}
