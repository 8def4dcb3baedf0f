package dev.chervil.broker.amqp;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Declares queues the way Python's kombu does, by running kombu itself. */
final class KombuQueues {
  private KombuQueues() {}

  /**
   * Declares {@code queue} bound to a direct exchange of the same name with {@code
   * queueArgumentsPython} (a Python dict literal), as {@code kombu.Queue(...,
   * queue_arguments=...)}.
   */
  static void declare(String brokerUrl, String queue, String queueArgumentsPython)
      throws Exception {
    String script =
        String.join(
            "\n",
            "import sys",
            "from kombu import Connection, Exchange, Queue",
            "name = sys.argv[2]",
            "with Connection(sys.argv[1]) as c:",
            "    q = Queue(name, Exchange(name, type='direct'), routing_key=name,",
            "              queue_arguments=" + queueArgumentsPython + ")",
            "    q(c.default_channel).declare()");
    Process p =
        new ProcessBuilder("/usr/bin/python3", "-c", script, brokerUrl, queue)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("kombu declare of " + queue + " failed: " + out);
    }
  }
}
