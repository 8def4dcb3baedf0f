package dev.chervil.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Python side of the side-by-side run, from the {@code bench/celery_bench.py} resource: the one
 * producer that fills every queue, and the round-trip client. Each call is a fresh {@code python3}
 * whose output goes to a file, so its timeout holds even if it hangs.
 */
final class PythonClient {
  static final String SCRIPT = "celery_bench.py";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final BenchEnv env;
  private final StartedProcesses processes;

  PythonClient(BenchEnv env, StartedProcesses processes) {
    this.env = env;
    this.processes = processes;
  }

  /** Copies the script into {@code dir}, where Celery's {@code -A celery_bench} finds it too. */
  static void install(Path dir) throws IOException {
    try (InputStream in = PythonClient.class.getResourceAsStream("/bench/" + SCRIPT)) {
      if (in == null) {
        throw new IllegalStateException("bench/" + SCRIPT + " is not on the classpath");
      }
      Files.write(dir.resolve(SCRIPT), in.readAllBytes());
    }
  }

  /** The environment every Python process of the bench runs with. */
  Map<String, String> environment() {
    return Map.of("BENCH_BROKER", env.broker(), "PYTHONDONTWRITEBYTECODE", "1");
  }

  /** Sends {@code n} no-ops to {@code queue}; returns the producer's own seconds. */
  double fill(String queue, int n) throws IOException, InterruptedException {
    JsonNode out = run("fill", queue, List.of(n), Duration.ofSeconds(60 + n / 200));
    return out.get("seconds").asDouble();
  }

  /**
   * {@code k} sequential calls with {@code .get()}, after {@code warm} untimed ones sent at once;
   * each timed one's milliseconds.
   */
  List<Double> roundTrips(String queue, int k, int warm) throws IOException, InterruptedException {
    JsonNode out =
        run("roundtrip", queue, List.of(k, warm), Duration.ofSeconds(60 + (k + warm) / 10));
    List<Double> millis = new ArrayList<>();
    out.get("millis").forEach(v -> millis.add(v.asDouble()));
    return millis;
  }

  /** Celery's version as the worker will import it. */
  String celeryVersion() throws IOException, InterruptedException {
    Path out = Files.createTempFile(env.workDir(), "celery-version", ".out");
    Process p =
        processes.start(
            List.of(env.python(), "-c", "import celery; print(celery.__version__)"),
            env.workDir(),
            Map.of(),
            out);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      processes.stop(p);
      return "?";
    }
    processes.stop(p);
    return Files.readString(out, StandardCharsets.UTF_8).strip();
  }

  private JsonNode run(String command, String queue, List<Integer> counts, Duration timeout)
      throws IOException, InterruptedException {
    Path out = env.workDir().resolve("python-" + command + "-" + queue + ".out");
    List<String> argv = new ArrayList<>(List.of(env.python(), SCRIPT, command, queue));
    counts.forEach(n -> argv.add(Integer.toString(n)));
    Process p = processes.start(argv, env.workDir(), environment(), out);
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(
            "python " + command + " " + queue + " did not finish in " + timeout + "; see " + out);
      }
      String text = Files.readString(out, StandardCharsets.UTF_8).strip();
      if (p.exitValue() != 0 || text.isEmpty()) {
        throw new IllegalStateException(
            "python " + command + " exited " + p.exitValue() + ": " + text);
      }
      return JSON.readTree(text.substring(text.lastIndexOf('\n') + 1));
    } finally {
      processes.stop(p);
    }
  }
}
