package dev.chervil.worker;

import dev.chervil.broker.Delivery;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.protocol.MalformedMessageException;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.ArgumentBinder;
import dev.chervil.task.ArgumentMismatchException;
import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskError;
import dev.chervil.task.TaskRegistry;
import java.util.List;

/**
 * The first look at a delivery: decode it, find its task, check its arguments. Everything that can
 * be known to be wrong before running is found here, so a bad message is rejected before it is
 * acked or holds a pool slot.
 */
final class Intake {
  private final TaskRegistry registry;
  private final boolean joinsChords;

  /**
   * @param joinsChords whether the result backend can join chords (else members are refused)
   */
  Intake(TaskRegistry registry, boolean joinsChords) {
    this.registry = registry;
    this.joinsChords = joinsChords;
  }

  /** What the intake decided about one delivery. */
  sealed interface Verdict permits Accepted, Rejected {}

  /** A runnable task: its message, its definition and the delivery that settles it. */
  record Accepted(Delivery delivery, TaskMessage message, TaskDefinition task) implements Verdict {}

  /**
   * A message that will not run. {@code failure}, when present, is stored as the task's result so a
   * caller waiting on it learns why instead of timing out.
   */
  record Rejected(
      Delivery delivery, String taskId, String taskName, String reason, TaskError failure)
      implements Verdict {}

  Verdict examine(Delivery delivery) {
    TaskMessage message;
    try {
      message = CeleryJsonCodec.decode(delivery.message());
    } catch (MalformedMessageException e) {
      // Stored as the task's FAILURE when the message names its id, so a Python caller's get()
      // raises at once (ContentDisallowed, NotImplementedError for protocol 1, ...) instead of
      // timing out; Celery itself leaves such callers waiting.
      String id = CeleryJsonCodec.taskIdOf(delivery.message());
      Object name = delivery.message().headers().get("task");
      return new Rejected(
          delivery,
          id,
          name instanceof String n ? n : null,
          e.getMessage(),
          new TaskError(e.excType(), e.getMessage(), e.excModule(), null, List.of()));
    }
    if (message.embed().chord() != null && !joinsChords) {
      // Celery joins chords in the result backend; with one that cannot (rpc://), a member that
      // ran would leave its body uncalled forever, so refuse it loudly instead.
      String body = String.valueOf(message.embed().chord().get("task"));
      return new Rejected(
          delivery,
          message.id(),
          message.task(),
          "chord member refused: the result backend cannot join chords, so body '"
              + body
              + "' would never be called (use redis://)",
          TaskError.celery(
              "ChordError",
              "chords need a result backend that can join them"
                  + " (redis://); this worker's cannot (body "
                  + body
                  + ")"));
    }
    TaskDefinition task = registry.find(message.task()).orElse(null);
    if (task == null) {
      return new Rejected(
          delivery,
          message.id(),
          message.task(),
          "unknown task '" + message.task() + "' (not registered in this worker)",
          TaskError.celery("NotRegistered", "'" + message.task() + "'"));
    }
    try {
      ArgumentBinder.bind(task, message.args(), message.kwargs());
    } catch (ArgumentMismatchException e) {
      return new Rejected(
          delivery,
          message.id(),
          message.task(),
          "wrong arguments: " + e.getMessage(),
          new TaskError("TypeError", e.getMessage(), "builtins", null, List.of()));
    }
    return new Accepted(delivery, message, task);
  }
}
