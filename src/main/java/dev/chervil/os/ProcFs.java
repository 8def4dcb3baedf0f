package dev.chervil.os;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Reads of {@code /proc}. Processes come and go between two reads, so every lookup of one pid
 * answers "gone" rather than throwing when the process disappeared.
 */
public final class ProcFs {
  private static final Path PROC = Path.of("/proc");

  private ProcFs() {}

  /** The stat of {@code pid}, or empty if it no longer exists. */
  public static Optional<ProcStat> stat(long pid) {
    try {
      return Optional.of(ProcStat.parse(Files.readString(PROC.resolve(pid + "/stat"))));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // raced with exit: the file vanished mid-read
    }
  }

  /** Every process visible now. */
  public static List<ProcStat> all() {
    return matching(s -> true);
  }

  /** Processes whose stat satisfies {@code filter}. */
  public static List<ProcStat> matching(Predicate<ProcStat> filter) {
    List<ProcStat> found = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC)) {
      for (Path dir : dirs) {
        String name = dir.getFileName().toString();
        if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
          stat(Long.parseLong(name)).filter(filter).ifPresent(found::add);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading /proc", e);
    }
    return found;
  }

  /** Direct children of {@code pid}, zombies included. */
  public static List<ProcStat> childrenOf(long pid) {
    return matching(s -> s.ppid() == pid);
  }

  /** Members of session {@code sid}, zombies included. */
  public static List<ProcStat> inSession(long sid) {
    return matching(s -> s.session() == sid);
  }

  /** Open file descriptors of {@code pid}; -1 if it is gone. */
  public static int openFds(long pid) {
    return countEntries(PROC.resolve(pid + "/fd"));
  }

  /** Threads of {@code pid}; -1 if it is gone. */
  public static int threads(long pid) {
    return countEntries(PROC.resolve(pid + "/task"));
  }

  /**
   * Names of the threads of {@code pid} (the kernel's comm, at most 15 characters); empty if gone.
   */
  public static List<String> threadNames(long pid) {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(PROC.resolve(pid + "/task"))) {
      for (Path task : tasks) {
        try {
          names.add(Files.readString(task.resolve("comm")).strip());
        } catch (IOException e) {
          // the thread ended between listing and reading
        }
      }
    } catch (IOException e) {
      return List.of();
    }
    return names;
  }

  /** Resident set size of {@code pid} in bytes; -1 if it is gone. */
  public static long rssBytes(long pid) {
    try {
      for (String line : Files.readAllLines(PROC.resolve(pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
      return 0;
    } catch (IOException e) {
      return -1;
    }
  }

  private static int countEntries(Path dir) {
    int n = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path ignored : entries) {
        n++;
      }
      return n;
    } catch (IOException e) {
      return -1;
    }
  }
}
