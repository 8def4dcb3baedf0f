package dev.chervil.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.chervil.Chervil;
import dev.chervil.client.AsyncResult;
import dev.chervil.client.ChervilClient;
import dev.chervil.client.TaskFailedException;
import dev.chervil.testing.Services;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Celery's shutdown signals on a real worker process: SIGTERM is warm (running tasks finish), a
 * second SIGTERM is cold (running tasks end now: WorkerLostError acked early, requeued acked late).
 */
class ShutdownSignalsTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  private final String queue = "chervil-test-shutdown-" + UUID.randomUUID();
  private final List<Process> started = new ArrayList<>();
  private ChervilClient client;

  @BeforeEach
  void client() {
    Services.requireRabbitMq();
    client = Chervil.client(Services.RABBITMQ_URL, "rpc://");
    client.start();
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (Process p : started) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    if (client != null) {
      client.close();
    }
    try (Connection c = rabbit();
        Channel ch = c.createChannel()) {
      ch.queueDelete(queue);
      ch.exchangeDelete(queue);
    }
  }

  @Test
  void sigtermIsAWarmShutdownThatLetsRunningTasksFinish() throws Exception {
    Process worker = worker();
    List<AsyncResult> running = sendSleeps(2, 2);
    awaitStarted(2);
    signal(worker, "TERM");
    for (AsyncResult r : running) {
      assertEquals(2, ((Number) r.get(WAIT)).intValue());
    }
    assertTrue(worker.waitFor(20, TimeUnit.SECONDS), "the worker exits once its tasks are done");
    assertEquals(0, worker.exitValue());
  }

  @Test
  void aSecondSigtermIsColdAndStoresWorkerLostWhenAckedEarly() throws Exception {
    Process worker = worker();
    List<AsyncResult> running = sendSleeps(2, 120);
    awaitStarted(2);
    signal(worker, "TERM");
    awaitLog("event=warm-shutdown");
    signal(worker, "TERM");
    for (AsyncResult r : running) {
      TaskFailedException e = assertThrows(TaskFailedException.class, () -> r.get(WAIT));
      assertEquals("WorkerLostError", e.excType());
    }
    assertTrue(worker.waitFor(20, TimeUnit.SECONDS), "a cold shutdown does not wait for tasks");
    assertEquals(0, readyMessages(), "acked early: the messages are gone, their results stored");
  }

  @Test
  void aColdShutdownRequeuesRunningTasksWhenAckedLate() throws Exception {
    Process worker = worker("--acks-late");
    sendSleeps(2, 120);
    awaitStarted(2);
    signal(worker, "TERM");
    awaitLog("event=warm-shutdown");
    signal(worker, "INT");
    assertTrue(worker.waitFor(20, TimeUnit.SECONDS), "SIGINT after SIGTERM is a cold shutdown");
    await().atMost(WAIT).until(() -> readyMessages() == 2);
  }

  private Process worker(String... extra) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                ChervilCommand.class.getName(),
                "worker",
                "--broker",
                Services.RABBITMQ_URL,
                "--result-backend",
                "rpc://",
                "-Q",
                queue,
                "-P",
                "threads",
                "-c",
                "2",
                "-l",
                "DEBUG"));
    cmd.addAll(List.of(extra));
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log().toFile()).start();
    started.add(p);
    awaitLog("event=worker-started");
    return p;
  }

  private List<AsyncResult> sendSleeps(int count, int seconds) {
    List<AsyncResult> results = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      results.add(client.task("chervil.debug.sleep").args(seconds).queue(queue).send());
    }
    return results;
  }

  private void awaitStarted(int tasks) {
    await()
        .atMost(WAIT)
        .until(() -> Files.readString(log()).split("event=task-started", -1).length - 1 == tasks);
  }

  private void awaitLog(String text) {
    await().atMost(WAIT).until(() -> Files.exists(log()) && Files.readString(log()).contains(text));
  }

  private Path log() {
    return dir.resolve("worker.log");
  }

  private static void signal(Process p, String name) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).start();
    assertEquals(0, kill.waitFor());
  }

  private long readyMessages() throws Exception {
    try (Connection c = rabbit();
        Channel ch = c.createChannel()) {
      return ch.queueDeclarePassive(queue).getMessageCount();
    }
  }

  private static Connection rabbit() throws Exception {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost("127.0.0.1");
    f.setPort(5672);
    return f.newConnection("chervil-test-shutdown");
  }
}
