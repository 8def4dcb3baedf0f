package dev.chervil.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code chervil status}: Celery's {@code celery status}, the nodes that answer a ping. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "List the workers (Java or Python) that answer a ping.")
final class StatusCommand implements Callable<Integer> {
  @Mixin RemoteOptions remote;

  @Override
  public Integer call() {
    int[] online = {0};
    int code =
        remote.run(
            c -> {
              var replies = c.inspect().ping();
              replies.keySet().forEach(node -> System.out.println("->  " + node + ": OK"));
              online[0] = replies.size();
              return replies;
            },
            new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
    if (online[0] > 0) {
      System.out.println();
      System.out.println(online[0] + " node" + (online[0] == 1 ? "" : "s") + " online.");
    }
    return code;
  }
}
