package dev.chervil.os;

/** A failed system call: names the call, its errno and the C library's text for it. */
public final class PosixException extends RuntimeException {
  private final int errno;

  PosixException(String call, int errno, String reason) {
    super(call + " failed: errno=" + errno + " (" + reason + ")");
    this.errno = errno;
  }

  public int errno() {
    return errno;
  }
}
