package dev.chervil.os;

/**
 * The fields of {@code /proc/<pid>/stat} the supervisor and census need.
 *
 * @param state one letter: R running, S sleeping, Z zombie, X dead, ...
 */
public record ProcStat(long pid, char state, long ppid, long pgrp, long session, long startTicks) {

  public boolean isZombie() {
    return state == 'Z';
  }

  /** Alive and not waiting to be reaped. */
  public boolean isLive() {
    return state != 'Z' && state != 'X' && state != 'x';
  }

  /**
   * Parses one stat line. The command name sits in parentheses and may itself contain spaces and
   * parentheses, so fields are counted from the last {@code ')'}.
   */
  static ProcStat parse(String line) {
    int close = line.lastIndexOf(')');
    long pid = Long.parseLong(line.substring(0, line.indexOf(' ')).trim());
    String[] f = line.substring(close + 2).split(" ");
    // f[0]=state f[1]=ppid f[2]=pgrp f[3]=session ... f[19]=starttime (field 22 of stat)
    return new ProcStat(
        pid,
        f[0].charAt(0),
        Long.parseLong(f[1]),
        Long.parseLong(f[2]),
        Long.parseLong(f[3]),
        Long.parseLong(f[19]));
  }
}
