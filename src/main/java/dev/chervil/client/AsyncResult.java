package dev.chervil.client;

import dev.chervil.backend.ResultBackend;
import dev.chervil.backend.ResultMeta;
import dev.chervil.backend.TaskState;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/** A sent task's future result, read from the result backend. */
public final class AsyncResult {
  private final String id;
  private final ResultBackend backend;

  AsyncResult(String id, ResultBackend backend) {
    this.id = id;
    this.backend = backend;
  }

  public String id() {
    return id;
  }

  /** Waits for the task to be ready and returns the raw meta, whatever its state. */
  public ResultMeta meta(Duration timeout) throws TimeoutException, InterruptedException {
    return backend.await(id, timeout);
  }

  /**
   * Waits for the task's return value.
   *
   * @throws TaskFailedException when it ended in FAILURE or REVOKED
   * @throws TimeoutException when it was not ready in time
   */
  public Object get(Duration timeout)
      throws TaskFailedException, TimeoutException, InterruptedException {
    ResultMeta meta = meta(timeout);
    if (meta.status() != TaskState.SUCCESS) {
      throw new TaskFailedException(meta);
    }
    return meta.result();
  }
}
