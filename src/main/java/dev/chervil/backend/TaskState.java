package dev.chervil.backend;

/** Celery's task states, spelled as on the wire. */
public enum TaskState {
  PENDING,
  RECEIVED,
  STARTED,
  SUCCESS,
  FAILURE,
  RETRY,
  REVOKED;

  public boolean isReady() {
    return this == SUCCESS || this == FAILURE || this == REVOKED;
  }
}
