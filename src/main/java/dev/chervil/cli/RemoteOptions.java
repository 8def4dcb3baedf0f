package dev.chervil.cli;

import dev.chervil.broker.Transport;
import dev.chervil.broker.Transports;
import dev.chervil.control.Control;
import dev.chervil.control.Mailbox;
import dev.chervil.protocol.CeleryJsonCodec;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * What {@code inspect}, {@code control} and {@code status} share: the broker, which nodes to ask,
 * how long to wait, and how to print the replies (Celery's {@code -> node: OK} layout, or JSON).
 */
final class RemoteOptions {
  @Option(
      names = {"-b", "--broker"},
      description = "Broker URL, e.g. amqp://guest:guest@127.0.0.1:5672// (default: memory://).")
  String broker;

  @Option(
      names = {"-d", "--destination"},
      split = ",",
      description = "Only these node names (comma-separated). Default: every node.")
  List<String> destination;

  @Option(
      names = {"-t", "--timeout"},
      defaultValue = "1.0",
      description = "Seconds to wait for replies. Default: ${DEFAULT-VALUE}.")
  double timeout;

  @Option(
      names = {"-j", "--json"},
      description = "Print the replies as one JSON object.")
  boolean json;

  /** Runs {@code call} with a control client on a transport of its own, closed after. */
  int run(java.util.function.Function<Control, Map<String, Object>> call, PrintStream out) {
    try (Transport transport = Transports.fromUrl(broker)) {
      transport.start();
      try (Mailbox mailbox = new Mailbox(transport)) {
        Control control =
            new Control(mailbox, destination, Duration.ofMillis((long) (timeout * 1000)));
        return print(call.apply(control), out);
      }
    }
  }

  int print(Map<String, Object> replies, PrintStream out) {
    if (json) {
      out.println(toJson(replies, false));
      return replies.isEmpty() ? ExitCodes.UNAVAILABLE : ExitCodes.OK;
    }
    if (replies.isEmpty()) {
      System.err.println("Error: No nodes replied within time constraint");
      return ExitCodes.UNAVAILABLE;
    }
    replies.forEach(
        (node, reply) -> {
          boolean error = reply instanceof Map<?, ?> m && m.containsKey("error");
          out.println("->  " + node + ": " + (error ? "ERROR" : "OK"));
          Object shown =
              reply instanceof Map<?, ?> m && m.size() == 1 && (m.containsKey("ok") || error)
                  ? m.values().iterator().next()
                  : reply;
          String text = shown instanceof String s ? s : toJson(shown, true);
          for (String line : text.split("\n")) {
            out.println("        " + line);
          }
        });
    return ExitCodes.OK;
  }

  static String toJson(Object value, boolean pretty) {
    try {
      return pretty
          ? CeleryJsonCodec.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(value)
          : CeleryJsonCodec.mapper().writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return String.valueOf(value);
    }
  }
}
