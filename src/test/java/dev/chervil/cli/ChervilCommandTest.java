package dev.chervil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The CLI through its real entry point, on the embedded broker: output and exit codes. */
class ChervilCommandTest {

  private record Run(int code, String out, String err) {}

  private static synchronized Run run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int code = ChervilCommand.execute(args);
      return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void everyCommandHasHelp() {
    for (String[] cmd :
        new String[][] {
          {"--help"},
          {"worker", "--help"},
          {"call", "--help"},
          {"demo", "--help"},
          {"inspect", "--help"},
          {"inspect", "census", "--help"},
          {"control", "--help"},
          {"status", "--help"},
          {"events", "--help"},
          {"bench", "--help"}
        }) {
      Run r = run(cmd);
      assertEquals(ExitCodes.OK, r.code(), String.join(" ", cmd));
      assertTrue(r.out().contains("Usage:"), r.out());
      // A '%' picocli cannot format prints a warning and the raw text (it once did for -n).
      assertEquals("", r.err(), String.join(" ", cmd));
    }
    assertTrue(run("worker", "--help").out().contains("Default: chervil@%h."));
  }

  @Test
  void callPrintsTheResultOnTheEmbeddedBroker() {
    Run r = run("call", "chervil.debug.echo", "--args", "[1, \"two\"]", "--wait");
    assertEquals(ExitCodes.OK, r.code(), r.err());
    assertEquals("[1,\"two\"]", r.out().strip());
  }

  @Test
  void aFailedTaskPrintsItsErrorAndExitsOne() {
    Run r = run("call", "chervil.debug.fail", "--args", "[\"boom\"]", "--wait");
    assertEquals(ExitCodes.TASK_FAILED, r.code());
    assertTrue(r.err().contains("IllegalStateException: boom"), r.err());
  }

  @Test
  void aSoftLimitReachesTheCaller() {
    Run r =
        run("call", "chervil.debug.sleep", "--args", "[10]", "--soft-time-limit", "0.3", "--wait");
    assertEquals(ExitCodes.TASK_FAILED, r.code());
    assertTrue(r.err().contains("SoftTimeLimitExceeded"), r.err());
  }

  @Test
  void badCommandLinesExitTwoWithAReason() {
    Run unknown = run("call", "chervil.debug.noop", "--no-such-option");
    assertEquals(ExitCodes.USAGE, unknown.code());
    assertTrue(unknown.err().contains("--no-such-option"), unknown.err());
    Run badJson = run("call", "chervil.debug.echo", "--args", "[1,", "--wait");
    assertEquals(ExitCodes.USAGE, badJson.code());
    assertTrue(badJson.err().contains("--args"), badJson.err());
  }

  @Test
  void anUnreachableBrokerExitsFour() {
    Run r = run("call", "chervil.debug.noop", "--broker", "amqp://guest:guest@127.0.0.1:1//");
    assertEquals(ExitCodes.UNAVAILABLE, r.code(), r.err());
  }

  @Test
  void inspectCensusReadsAnotherProcess() throws Exception {
    // A shell leading its own session, with one child: a process seen from outside, as an operator
    // would; killing its session afterwards leaves nothing behind.
    Process shell = new ProcessBuilder("/usr/bin/setsid", "sh", "-c", "sleep 30 & wait").start();
    try {
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(10))
          .until(() -> !dev.chervil.os.ProcFs.childrenOf(shell.pid()).isEmpty());
      Run r = run("inspect", "census", "--pid", Long.toString(shell.pid()));
      assertEquals(ExitCodes.OK, r.code(), r.err());
      assertTrue(
          r.out().matches("(?s)pid=\\d+ children=1 zombies=0 orphans=0 fds=\\d+ threads=1 .*"),
          r.out());
    } finally {
      dev.chervil.os.ProcessTree.kill(shell.pid(), java.time.Duration.ZERO);
      shell.destroyForcibly().waitFor();
    }
  }
}
