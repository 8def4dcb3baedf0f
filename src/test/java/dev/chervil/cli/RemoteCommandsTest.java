package dev.chervil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.Chervil;
import dev.chervil.control.NodeOptions;
import dev.chervil.interop.InteropTasks;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.task.TaskRegistry;
import dev.chervil.worker.Worker;
import dev.chervil.worker.WorkerConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** {@code chervil inspect|control|status|events} against a worker on the embedded broker. */
class RemoteCommandsTest {
  @Test
  void inspectControlStatusAndEventsPrintWhatTheWorkerAnswers() throws Exception {
    String broker = "memory://cli-" + UUID.randomUUID();
    try (Worker w =
        Chervil.worker(
            broker,
            null,
            PoolSpec.of(PoolKind.THREADS, 1),
            new TaskRegistry().register(new InteropTasks()),
            WorkerConfig.defaults()
                .withQueues(List.of("cli"))
                .withNode(new NodeOptions("cli@test", false, false, null)))) {
      w.start();
      String[] remote = {"-b", broker, "-d", "cli@test"};
      String ping = out("inspect", "ping", remote);
      assertTrue(ping.contains("->  cli@test: OK") && ping.contains("pong"), ping);
      String registered = out("inspect", "registered", remote);
      assertTrue(registered.contains("proj.tasks.add"), registered);
      String rate = out("control", "rate_limit", remote, "proj.tasks.add", "10/m");
      assertTrue(rate.contains("new rate limit set successfully"), rate);
      String bad = out("control", "rate_limit", remote, "proj.tasks.add", "ten");
      assertTrue(bad.contains("ERROR") && bad.contains("Invalid rate limit"), bad);
      String status = out("status", null, remote);
      assertTrue(status.contains("1 node online."), status);
      // enable_events, then events for 3 s: a heartbeat (every 2 s) must show up, human-readable
      out("control", "enable_events", remote);
      String events = out("events", null, new String[] {"-b", broker, "--seconds", "3"});
      assertTrue(events.contains("cli@test worker-heartbeat active=0"), events);
      String dump = out("events", null, new String[] {"-b", broker, "--seconds", "2.5", "--dump"});
      assertTrue(dump.contains("\"type\":\"worker-heartbeat\""), dump);
    }
  }

  private static String out(String command, String sub, String[] options, String... args) {
    PrintStream before = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      List<String> argv = new java.util.ArrayList<>(List.of(command));
      if (sub != null) {
        argv.add(sub);
      }
      argv.addAll(List.of(options));
      argv.addAll(List.of(args));
      int code = ChervilCommand.execute(argv.toArray(String[]::new));
      assertEquals(0, code, "exit code of " + argv);
    } finally {
      System.setOut(before);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }
}
