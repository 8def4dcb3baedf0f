package dev.chervil.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Python's Celery 5.2, run as real processes from {@code
 * src/test/resources/interop/celery_peer.py}: a client that runs one scenario and prints one JSON
 * line, or a worker. Every process is killed with its descendants when done, so a failing test
 * leaves no Python behind.
 */
final class CeleryPeer {
  static final String PYTHON = "/usr/bin/python3";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, String> env;

  /** A peer talking to {@code broker}, results through {@code backend}, on {@code queue}. */
  CeleryPeer(String broker, String backend, String queue) {
    this(
        Map.of(
            "PEER_BROKER",
            broker,
            "PEER_BACKEND",
            backend,
            "PEER_QUEUE",
            queue,
            "PYTHONDONTWRITEBYTECODE",
            "1"));
  }

  private CeleryPeer(Map<String, String> env) {
    this.env = env;
  }

  /** The same peer with one more environment variable (e.g. PEER_VISIBILITY_TIMEOUT). */
  CeleryPeer with(String name, String value) {
    Map<String, String> more = new java.util.HashMap<>(env);
    more.put(name, value);
    return new CeleryPeer(Map.copyOf(more));
  }

  /**
   * Runs one client scenario and returns the JSON line it printed. Its output goes to a file, not a
   * pipe, so the timeout holds even if the script hangs with its stdout open.
   */
  JsonNode run(String scenario, Duration timeout) throws IOException, InterruptedException {
    Path out = Files.createTempFile("celery-peer-" + scenario, ".out");
    Process p =
        start(
            List.of(PYTHON, "celery_peer.py", scenario), ProcessBuilder.Redirect.to(out.toFile()));
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("python scenario " + scenario + " did not finish in " + timeout);
      }
      String text = Files.readString(out, StandardCharsets.UTF_8).strip();
      if (p.exitValue() != 0 || text.isEmpty()) {
        throw new AssertionError(
            "python scenario " + scenario + " exited " + p.exitValue() + " printing: " + text);
      }
      return JSON.readTree(text.substring(text.lastIndexOf('\n') + 1));
    } finally {
      kill(p);
      Files.deleteIfExists(out);
    }
  }

  /**
   * Starts {@code celery worker} (prefork, 2 processes: Celery enforces time limits only there).
   * Not {@code --without-heartbeat}: Celery 5.2's prefork event loop then fires ETA timers
   * (countdown, eta, retry) about 5 s late, as nothing else wakes it; its 2 s heartbeat timer
   * bounds the delay.
   */
  Process startWorker(String queue) throws IOException {
    return start(
        List.of(
            PYTHON,
            "-m",
            "celery",
            "-A",
            "celery_peer",
            "worker",
            "-P",
            "prefork",
            "-c",
            "2",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
            "-n",
            "peer-" + queue + "@%h"),
        ProcessBuilder.Redirect.INHERIT);
  }

  /** Kills {@code p} and everything it started (a Celery worker forks its pool), and reaps it. */
  static void kill(Process p) throws InterruptedException {
    if (p == null) {
      return;
    }
    List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
    p.destroy();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor();
    }
    tree.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle h : tree) {
      h.onExit().join();
    }
  }

  private Process start(List<String> command, ProcessBuilder.Redirect stdout) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(scriptDir().toFile())
            .redirectOutput(stdout)
            .redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().putAll(env);
    return pb.start();
  }

  private static Path scriptDir() {
    try {
      return Path.of(CeleryPeer.class.getResource("/interop/celery_peer.py").toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
