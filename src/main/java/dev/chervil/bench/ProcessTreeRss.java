package dev.chervil.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a worker costs in memory: the VmRSS of its process and of all its descendants (a Celery
 * prefork worker's forks, a Chervil process pool's children and spare), summed from {@code
 * /proc/<pid>/status}.
 */
final class ProcessTreeRss {
  private ProcessTreeRss() {}

  /** The tree's summed RSS in KiB; a process that exits while it is read counts as 0. */
  static long kib(long rootPid) {
    List<Long> pids = new ArrayList<>();
    pids.add(rootPid);
    ProcessHandle.of(rootPid).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
    return pids.stream().mapToLong(ProcessTreeRss::processKib).sum();
  }

  static long processKib(long pid) {
    try {
      return vmRssKib(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
    } catch (IOException e) {
      return 0; // gone between listing and reading
    }
  }

  /** The {@code VmRSS:} line of a status file, in kB; 0 when absent (a zombie has none). */
  static long vmRssKib(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("VmRSS:")) {
        String[] parts = line.substring("VmRSS:".length()).strip().split("\\s+");
        return Long.parseLong(parts[0]);
      }
    }
    return 0;
  }
}
