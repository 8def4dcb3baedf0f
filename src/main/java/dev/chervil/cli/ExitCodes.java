package dev.chervil.cli;

/** The CLI's exit codes, documented in README.md. */
final class ExitCodes {
  static final int OK = 0;

  /** The task ran and failed (or was revoked). */
  static final int TASK_FAILED = 1;

  /** Bad command line (picocli's own usage errors also exit 2). */
  static final int USAGE = 2;

  /** No result within --timeout. */
  static final int TIMEOUT = 3;

  /** The broker or result backend could not be reached. */
  static final int UNAVAILABLE = 4;

  /** A demo strategy that must not leak did leak. */
  static final int LEAKED = 5;

  private ExitCodes() {}
}
