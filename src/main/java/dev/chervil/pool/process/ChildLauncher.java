package dev.chervil.pool.process;

import dev.chervil.pool.PoolSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The one way a child JVM is spawned: the worker's own java binary and classpath, flags chosen for
 * a fast start and a small footprint, stdin/stdout as the frame channel and stderr shared with the
 * worker's log.
 *
 * <p>Start-up is the price of a JVM over fork(): class-data sharing (an archive the first children
 * create and later ones map), C1 only, the serial GC, an 8 MiB initial heap and compact object
 * headers for the footprint. {@code -Xlog} goes to stderr because the JVM's own warnings default to
 * stdout, which is the frame channel.
 */
final class ChildLauncher {
  static final String CLASSPATH_PROPERTY = "chervil.child.classpath";

  private final List<String> command;

  ChildLauncher(PoolSpec spec, List<String> extraJvmFlags) {
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xss512k",
                "-Xms8m",
                "-Xmx256m",
                "-XX:+UseCompactObjectHeaders",
                "-XX:+ExitOnOutOfMemoryError",
                // No JVM signal handlers: SIGTERM takes the default action and ends the child in
                // ~4 ms, where the JVM's own exit path takes ~300 ms even for an idle JVM
                // (measured, JDK 25). The child has nothing to flush (the supervisor holds message,
                // ack and result), so the kill's grace is left to the task's own subprocesses.
                // Cost: no SIGQUIT thread dump.
                "-Xrs",
                // Class-data sharing logs errors on every start that are not ours to fix: the
                // JDK's base archive was dumped without --enable-native-access, so the archived
                // module graph is skipped (the archive still halves start-up), and a rebuilt jar
                // voids the archive until the child re-dumps it at exit. Everything else at warning
                // and above goes to stderr.
                "-Xlog:disable",
                "-Xlog:all=warning,cds*=off,aot*=off:stderr",
                "--enable-native-access=ALL-UNNAMED",
                "-Dchervil.child=true"));
    cdsArchive(cmd)
        .ifPresent(
            archive -> {
              cmd.add("-XX:+AutoCreateSharedArchive");
              cmd.add("-XX:SharedArchiveFile=" + archive);
            });
    String delay = System.getProperty(ChildMain.START_DELAY_PROPERTY);
    if (delay != null) {
      cmd.add("-D" + ChildMain.START_DELAY_PROPERTY + "=" + delay);
    }
    cmd.addAll(extraJvmFlags);
    cmd.addAll(List.of("-cp", classpath(), ChildMain.class.getName()));
    // An argument, not a -D flag: the flags key the CDS archive, and the pid changes every run.
    cmd.addAll(List.of("--parent-pid", Long.toString(ProcessHandle.current().pid())));
    if (spec.debugTasks()) {
      cmd.add("--debug-tasks");
    }
    for (String module : spec.modules()) {
      cmd.add("--module");
      cmd.add(module);
    }
    this.command = List.copyOf(cmd);
  }

  /**
   * The worker's own classpath, unless {@value #CLASSPATH_PROPERTY} names another (e.g. the shaded
   * jar when the worker runs from class directories, which class-data sharing cannot archive).
   */
  static String classpath() {
    return System.getProperty(CLASSPATH_PROPERTY, System.getProperty("java.class.path"));
  }

  List<String> command() {
    return command;
  }

  Process spawn() throws IOException {
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  /**
   * One archive per classpath (each jar's size and time included), JDK and flag set, under the
   * user's cache directory; none if it is not writable (children then start without CDS, slower but
   * correct). The flags are part of the key because an archive dumped under other flags may still
   * be mapped, half used: it then cost 7 MiB more RSS per child and no start-up time was saved.
   */
  private static java.util.Optional<Path> cdsArchive(List<String> flags) {
    // The JVM archives classes from jars only; with a class directory on the path the dump fails
    // at exit, and a failed dump turns the child's exit code into 1.
    boolean jarsOnly =
        java.util.Arrays.stream(classpath().split(java.io.File.pathSeparator))
            .allMatch(entry -> entry.endsWith(".jar") && Files.isRegularFile(Path.of(entry)));
    if (!jarsOnly) {
      return java.util.Optional.empty();
    }
    // Each jar's size and time too: an archive of a jar since rebuilt (an upgrade) is stale, and a
    // stale one mapped anyway cost 6.6 MiB more per child (68.6 against 62.0 MiB, measured).
    StringBuilder jars = new StringBuilder();
    for (String entry : classpath().split(java.io.File.pathSeparator)) {
      java.io.File jar = new java.io.File(entry);
      jars.append(entry).append(':').append(jar.length()).append(':').append(jar.lastModified());
    }
    String key =
        Integer.toHexString(
            (jars + "|" + System.getProperty("java.vm.version") + "|" + String.join(" ", flags))
                .hashCode());
    Path dir = Path.of(System.getProperty("user.home"), ".cache", "chervil");
    try {
      Files.createDirectories(dir);
      return Files.isWritable(dir)
          ? java.util.Optional.of(dir.resolve("child-" + key + ".jsa"))
          : java.util.Optional.empty();
    } catch (IOException e) {
      return java.util.Optional.empty();
    }
  }
}
