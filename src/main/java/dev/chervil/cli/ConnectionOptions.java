package dev.chervil.cli;

import picocli.CommandLine.Option;

/** Where the broker and result backend are: shared by every command that talks to them. */
final class ConnectionOptions {
  @Option(
      names = {"-b", "--broker"},
      description =
          "Broker URL, e.g. amqp://guest:guest@127.0.0.1:5672// or redis://127.0.0.1:6379/0 . Default: the embedded in-process broker (memory://).")
  String broker;

  @Option(
      names = "--result-backend",
      defaultValue = "rpc://",
      description =
          "Result backend: rpc://, redis://host:port/db, or none. Default: ${DEFAULT-VALUE}.")
  String resultBackend;

  boolean embedded() {
    return broker == null || broker.isBlank() || broker.startsWith("memory:");
  }

  String backendUrl() {
    return "none".equalsIgnoreCase(resultBackend) ? null : resultBackend;
  }
}
