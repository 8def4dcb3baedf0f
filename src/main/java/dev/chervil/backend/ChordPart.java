package dev.chervil.backend;

/**
 * One header task's outcome in a chord, as Celery keeps it while the chord fills up: {@code [1,
 * task id, state, result]}, the result being the value or the exception dict.
 */
public record ChordPart(String taskId, TaskState state, Object result) {

  /** FAILURE and REVOKED fail the whole chord (Celery's PROPAGATE_STATES). */
  public boolean failsTheChord() {
    return state == TaskState.FAILURE || state == TaskState.REVOKED;
  }
}
