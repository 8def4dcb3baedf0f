package dev.chervil.control;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code stats["rusage"]} in the shape of Python's {@code resource.getrusage}, from /proc/self. */
final class Rusage {
  private static final double TICKS = 100.0; // USER_HZ on Linux

  private Rusage() {}

  /** A number from /proc/self/status, "123 kB" or "123" (Python's ru_maxrss is in kB too). */
  private static long kilobytes(String value) {
    return Long.parseLong(value.replace("kB", "").strip());
  }

  static Map<String, Object> self() {
    Map<String, Object> r = new LinkedHashMap<>();
    long utime = 0;
    long stime = 0;
    long minflt = 0;
    long majflt = 0;
    long maxrss = 0;
    long nvcsw = 0;
    long nivcsw = 0;
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      minflt = Long.parseLong(f[7]);
      majflt = Long.parseLong(f[9]);
      utime = Long.parseLong(f[11]);
      stime = Long.parseLong(f[12]);
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        List<String> kv = List.of(line.split(":\\s+"));
        if (kv.size() < 2) {
          continue;
        }
        switch (kv.get(0)) {
          case "VmHWM" -> maxrss = kilobytes(kv.get(1));
          case "voluntary_ctxt_switches" -> nvcsw = kilobytes(kv.get(1));
          case "nonvoluntary_ctxt_switches" -> nivcsw = kilobytes(kv.get(1));
          default -> {}
        }
      }
    } catch (Exception e) {
      // the figures stay 0: stats must answer even where /proc reads differently
    }
    r.put("utime", utime / TICKS);
    r.put("stime", stime / TICKS);
    r.put("maxrss", maxrss);
    for (String zero : List.of("ixrss", "idrss", "isrss")) {
      r.put(zero, 0);
    }
    r.put("minflt", minflt);
    r.put("majflt", majflt);
    for (String zero : List.of("nswap", "inblock", "oublock", "msgsnd", "msgrcv", "nsignals")) {
      r.put(zero, 0);
    }
    r.put("nvcsw", nvcsw);
    r.put("nivcsw", nivcsw);
    return r;
  }
}
