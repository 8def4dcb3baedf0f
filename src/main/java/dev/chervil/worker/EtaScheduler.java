package dev.chervil.worker;

import dev.chervil.broker.Subscription;
import dev.chervil.limits.DeadlineScheduler;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds tasks with a future ETA unacked until they are due, like Celery. Each held task raises its
 * subscription's prefetch by one while it waits, so a queue full of ETA tasks cannot starve the
 * worker of tasks it could run now. If the worker stops first, the held messages are never acked
 * and the broker hands them to another worker: nothing is lost.
 */
final class EtaScheduler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EtaScheduler.class);

  private final DeadlineScheduler timer = new DeadlineScheduler("chervil-eta");
  private final Function<String, Subscription> subscriptions;
  private final Consumer<Request> whenDue;

  EtaScheduler(Function<String, Subscription> subscriptions, Consumer<Request> whenDue) {
    this.subscriptions = subscriptions;
    this.whenDue = whenDue;
  }

  void hold(Request task, long delayMillis) {
    Subscription sub = subscriptions.apply(task.delivery().queue());
    if (sub != null) {
      sub.adjustPrefetch(+1);
    }
    log.debug(
        "event=task-eta-held task={} name={} delay_ms={}",
        task.id(),
        task.message().task(),
        delayMillis);
    timer.schedule(
        Duration.ofMillis(delayMillis),
        () -> {
          if (sub != null) {
            sub.adjustPrefetch(-1);
          }
          whenDue.accept(task);
        });
  }

  @Override
  public void close() {
    timer.close();
  }
}
