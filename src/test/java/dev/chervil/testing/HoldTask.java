package dev.chervil.testing;

import dev.chervil.task.TaskDefinition;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code test.hold}: a task that counts itself {@link #inside()} and waits at a gate until the test
 * {@link #open()}s it, so a test can hold a known number of slots busy and watch how many run at
 * once. {@link #close()} sets a new gate for the next tasks; tasks already waiting keep theirs.
 */
public final class HoldTask {
  public static final String NAME = "test.hold";

  private final AtomicInteger inside = new AtomicInteger();
  private volatile CountDownLatch gate = new CountDownLatch(1);

  public TaskDefinition definition() {
    return TaskDefinition.named(NAME)
        .handler(
            (ctx, a) -> {
              CountDownLatch mine = gate;
              inside.incrementAndGet();
              try {
                mine.await(); // an interrupt would fail the task: none may come
                return "through";
              } finally {
                inside.decrementAndGet();
              }
            });
  }

  /** Tasks running now, waiting at their gate. */
  public int inside() {
    return inside.get();
  }

  /** Lets every task waiting at the current gate through. */
  public void open() {
    gate.countDown();
  }

  /** A new, closed gate for the tasks that start from now on. */
  public void close() {
    gate = new CountDownLatch(1);
  }
}
