package dev.chervil.limits;

/** A scheduled limit; cancel it when the task ends first. Cancelling twice is harmless. */
public interface Deadline {
  void cancel();
}
