package dev.chervil.os;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.OptionalInt;

/**
 * The few Linux process calls the supervisor needs, made through the Foreign Function &amp; Memory
 * API. Pids are {@code long} in Java and {@code int} ({@code pid_t}) at the native boundary.
 *
 * <p>Arguments that would turn a targeted call into a broadcast are refused with {@link
 * IllegalArgumentException}: {@code kill(0)}/{@code kill(-1)} signal our own group or every
 * process, and {@code waitpid(-1)} would reap any child, stealing statuses the JDK waits for.
 */
public final class Posix {
  public static final int SIGKILL = 9, SIGTERM = 15, SIGCONT = 18;
  static final int EINTR = 4, ESRCH = 3, ECHILD = 10;
  private static final int WNOHANG = 1;
  private static final int PR_SET_PDEATHSIG = 1;
  private static final int PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));

  private static final MethodHandle GETPID = plain("getpid", FunctionDescriptor.of(JAVA_INT));
  private static final MethodHandle GETPPID = plain("getppid", FunctionDescriptor.of(JAVA_INT));
  private static final MethodHandle POSIX_OPENPT =
      withErrno("posix_openpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle GRANTPT =
      withErrno("grantpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle UNLOCKPT =
      withErrno("unlockpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle PTSNAME =
      plain("ptsname", FunctionDescriptor.of(ADDRESS, JAVA_INT));
  private static final MethodHandle OPEN =
      withErrno("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle DUP2 =
      withErrno("dup2", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle SETSID = withErrno("setsid", FunctionDescriptor.of(JAVA_INT));
  private static final MethodHandle KILL =
      withErrno("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle WAITPID =
      withErrno("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
  // prctl(int option, ...) is variadic; the options used here take one unsigned long after it.
  private static final MethodHandle PRCTL =
      downcall(
          "prctl",
          FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG),
          Linker.Option.captureCallState("errno"),
          Linker.Option.firstVariadicArg(1));
  // glibc >= 2.32 and musl return static text for known errnos, so strerror is safe to share.
  private static final MethodHandle STRERROR =
      plain("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

  private Posix() {}

  public static long getpid() {
    try {
      return (int) GETPID.invokeExact();
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  public static long getppid() {
    try {
      return (int) GETPPID.invokeExact();
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  /**
   * dup2(2): makes {@code newFd} refer to what {@code oldFd} refers to (closing {@code newFd}
   * first). Used by a child to point fd 1 at stderr once its frame channel no longer needs it.
   */
  public static void dup2(int oldFd, int newFd) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      while ((int) DUP2.invokeExact(state, oldFd, newFd) < 0) {
        if (errno(state) != EINTR) {
          throw failure("dup2(" + oldFd + ", " + newFd + ")", state);
        }
      }
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  /**
   * Gives the calling session leader a controlling terminal of its own: a new pseudo-terminal,
   * whose slave it opens without O_NOCTTY. Nothing reads or writes it; it exists for what the
   * kernel does when a controlling process dies, however it dies (SIGKILL included): it sends
   * SIGHUP and SIGCONT to the terminal's foreground process group, which is the leader's own group
   * and so every subprocess that did not move to another group. Returns the slave's fd; both fds
   * stay open for the life of the process.
   */
  @SuppressWarnings("restricted") // ptsname returns a NUL-terminated string of unknown length
  public static int acquireControllingTerminal() {
    int oRdwr = 2, oNoctty = 0400;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int master = (int) POSIX_OPENPT.invokeExact(state, oRdwr | oNoctty);
      if (master < 0) {
        throw failure("posix_openpt()", state);
      }
      if ((int) GRANTPT.invokeExact(state, master) != 0) {
        throw failure("grantpt()", state);
      }
      if ((int) UNLOCKPT.invokeExact(state, master) != 0) {
        throw failure("unlockpt()", state);
      }
      MemorySegment name = (MemorySegment) PTSNAME.invokeExact(master);
      if (name.equals(MemorySegment.NULL)) {
        throw new PosixException("ptsname()", 0, "no name");
      }
      String path = name.reinterpret(Long.MAX_VALUE).getString(0);
      int slave = (int) OPEN.invokeExact(state, arena.allocateFrom(path), oRdwr);
      if (slave < 0) {
        throw failure("open(" + path + ")", state);
      }
      return slave;
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  /**
   * prctl(PR_SET_PDEATHSIG, signal): the kernel sends {@code signal} to the calling process when
   * the thread that started it exits (not its process: a parent's thread that ends counts too).
   */
  public static void setParentDeathSignal(int signal) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      if ((int) PRCTL.invokeExact(state, PR_SET_PDEATHSIG, (long) signal) != 0) {
        throw failure("prctl(PR_SET_PDEATHSIG, " + signal + ")", state);
      }
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  /**
   * setsid(2) for the calling process; returns the new session id. Throws {@link PosixException}
   * (with errno and strerror text) on failure, e.g. EPERM when the caller already leads a process
   * group.
   */
  public static long setsid() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int sid = (int) SETSID.invokeExact(state);
      if (sid < 0) {
        throw failure("setsid()", state);
      }
      return sid;
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  /** kill(2); false if the process does not exist (ESRCH), PosixException on other errors. */
  public static boolean kill(long pid, int signal) {
    return signal(positive("pid", pid, 1), signal, "kill(" + pid + ", " + signal + ")");
  }

  /** kill(-pgid, signal); false if no such group. */
  public static boolean killGroup(long pgid, int signal) {
    // pgid 1 would become kill(-1): every process we may signal.
    return signal(-positive("pgid", pgid, 2), signal, "kill(-" + pgid + ", " + signal + ")");
  }

  /**
   * waitpid(pid, WNOHANG): empty while it runs, or if it is not our child (ECHILD), else the
   * decoded status: the exit code, or 128+signal if a signal killed it.
   *
   * <p>Never call this for a process started by {@link ProcessBuilder} once it may have exited: the
   * JDK's reaper thread blocks in waitpid on it, and whichever call comes first takes the status;
   * the loser sees ECHILD. While the process runs, WNOHANG makes the call harmless.
   */
  public static OptionalInt reapIfExited(long pid) {
    int target = positive("pid", pid, 1);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment status = arena.allocate(JAVA_INT);
      while (true) {
        int r = (int) WAITPID.invokeExact(state, target, status, WNOHANG);
        if (r > 0) {
          return OptionalInt.of(decodeWaitStatus(status.get(JAVA_INT, 0)));
        }
        if (r == 0) {
          return OptionalInt.empty();
        }
        int errno = errno(state);
        if (errno == ECHILD) {
          return OptionalInt.empty();
        }
        if (errno != EINTR) {
          throw failure("waitpid(" + pid + ", WNOHANG)", state);
        }
      }
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  /** prctl(PR_SET_CHILD_SUBREAPER, 1). */
  public static void becomeChildSubreaper() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      if ((int) PRCTL.invokeExact(state, PR_SET_CHILD_SUBREAPER, 1L) != 0) {
        throw failure("prctl(PR_SET_CHILD_SUBREAPER, 1)", state);
      }
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  /** prctl(PR_GET_CHILD_SUBREAPER). */
  public static boolean isChildSubreaper() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment flag = arena.allocate(JAVA_INT);
      if ((int) PRCTL.invokeExact(state, PR_GET_CHILD_SUBREAPER, flag.address()) != 0) {
        throw failure("prctl(PR_GET_CHILD_SUBREAPER)", state);
      }
      return flag.get(JAVA_INT, 0) != 0;
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  /**
   * Decodes a wait status as the shell does: the exit code for a normal exit, 128+signal for a
   * death by signal. Stopped/continued statuses cannot occur without WUNTRACED/WCONTINUED.
   */
  static int decodeWaitStatus(int status) {
    int signal = status & 0x7f;
    return signal == 0 ? (status >>> 8) & 0xff : 128 + signal;
  }

  @SuppressWarnings("restricted") // strerror returns a NUL-terminated string of unknown length
  static String strerror(int errno) {
    try {
      MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
      return text.equals(MemorySegment.NULL)
          ? "errno " + errno
          : text.reinterpret(Long.MAX_VALUE).getString(0);
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  private static boolean signal(int target, int signal, String call) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      if ((int) KILL.invokeExact(state, target, signal) == 0) {
        return true;
      }
      if (errno(state) == ESRCH) {
        return false;
      }
      throw failure(call, state);
    } catch (Throwable t) {
      throw unchecked(t);
    }
  }

  private static int positive(String what, long id, long min) {
    if (id < min || id > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(what + " out of range [" + min + ", 2^31): " + id);
    }
    return (int) id;
  }

  private static int errno(MemorySegment state) {
    return (int) ERRNO.get(state, 0L);
  }

  private static PosixException failure(String call, MemorySegment state) {
    int errno = errno(state);
    return new PosixException(call, errno, strerror(errno));
  }

  private static RuntimeException unchecked(Throwable t) {
    if (t instanceof RuntimeException e) {
      return e;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IllegalStateException("native call failed", t);
  }

  private static MethodHandle plain(String name, FunctionDescriptor descriptor) {
    return downcall(name, descriptor);
  }

  private static MethodHandle withErrno(String name, FunctionDescriptor descriptor) {
    return downcall(name, descriptor, Linker.Option.captureCallState("errno"));
  }

  @SuppressWarnings("restricted") // needs --enable-native-access, as the surefire argLine gives
  private static MethodHandle downcall(
      String name, FunctionDescriptor descriptor, Linker.Option... options) {
    MemorySegment symbol =
        LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError(name));
    return LINKER.downcallHandle(symbol, descriptor, options);
  }
}
