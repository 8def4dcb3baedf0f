package dev.chervil.backend;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/** Discards results; waiting on one is a usage error, reported as such. */
public class NoBackend implements ResultBackend {
  @Override
  public void start() {}

  @Override
  public String replyTo() {
    return null;
  }

  @Override
  public void store(ResultMeta meta, String replyTo, String correlationId) {}

  @Override
  public ResultMeta await(String taskId, Duration timeout) throws TimeoutException {
    throw new IllegalStateException(
        "no result backend configured: cannot wait for task "
            + taskId
            + " (use --result-backend rpc://)");
  }

  @Override
  public void close() {}
}
