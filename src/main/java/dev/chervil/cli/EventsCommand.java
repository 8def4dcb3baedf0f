package dev.chervil.cli;

import dev.chervil.broker.Transport;
import dev.chervil.broker.Transports;
import dev.chervil.events.EventReceiver;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code chervil events}: a live stream of Celery events, from Java and Python workers. */
@Command(
    name = "events",
    mixinStandardHelpOptions = true,
    description = "Print worker and task events as they happen (Ctrl-C stops).")
final class EventsCommand implements Callable<Integer> {
  @Option(
      names = {"-b", "--broker"},
      description = "Broker URL, e.g. amqp://guest:guest@127.0.0.1:5672// (default: memory://).")
  String broker;

  @Option(names = "--dump", description = "Print each event raw, as one JSON line.")
  boolean dump;

  @Option(
      names = "--seconds",
      description = "Stop after this many seconds (default: run until stopped).")
  Double seconds;

  @Override
  public Integer call() throws InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    try (Transport transport = Transports.fromUrl(broker)) {
      transport.start();
      try (EventReceiver receiver = new EventReceiver(transport, this::print)) {
        receiver.start();
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
        if (seconds != null) {
          stop.await((long) (seconds * 1000), java.util.concurrent.TimeUnit.MILLISECONDS);
        } else {
          stop.await();
        }
      }
    }
    return ExitCodes.OK;
  }

  private synchronized void print(Map<String, Object> event) {
    if (dump) {
      System.out.println(RemoteOptions.toJson(event, false));
      System.out.flush();
      return;
    }
    System.out.println(humanReadable(event));
    System.out.flush();
  }

  /** {@code 2026-12-01T21:40:00Z worker@host worker-heartbeat active=0 processed=3}. */
  static String humanReadable(Map<String, Object> e) {
    Object ts = e.get("timestamp");
    String when =
        ts instanceof Number n
            ? Instant.ofEpochMilli((long) (n.doubleValue() * 1000)).toString()
            : String.valueOf(ts);
    StringBuilder out =
        new StringBuilder(when)
            .append(' ')
            .append(e.get("hostname"))
            .append(' ')
            .append(e.get("type"));
    for (String key :
        new String[] {
          "uuid",
          "name",
          "active",
          "processed",
          "runtime",
          "result",
          "exception",
          "terminated",
          "signum",
          "expired",
          "requeue"
        }) {
      if (e.containsKey(key)) {
        out.append(' ').append(key).append('=').append(e.get(key));
      }
    }
    return out.toString();
  }
}
