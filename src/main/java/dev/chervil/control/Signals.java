package dev.chervil.control;

import java.util.Locale;
import java.util.Map;

/** Signal names as Celery's {@code platforms.signals.signum} reads them: KILL, SIGKILL or 9. */
public final class Signals {
  private static final Map<String, Integer> NUMBERS =
      Map.ofEntries(
          Map.entry("HUP", 1),
          Map.entry("INT", 2),
          Map.entry("QUIT", 3),
          Map.entry("ABRT", 6),
          Map.entry("KILL", 9),
          Map.entry("USR1", 10),
          Map.entry("USR2", 12),
          Map.entry("ALRM", 14),
          Map.entry("TERM", 15));

  private Signals() {}

  /**
   * @throws IllegalArgumentException for a name that is none of these
   */
  public static int number(Object signal) {
    if (signal == null) {
      return 15;
    }
    if (signal instanceof Number n) {
      return n.intValue();
    }
    String s = signal.toString().strip().toUpperCase(Locale.ROOT);
    if (s.chars().allMatch(Character::isDigit) && !s.isEmpty()) {
      return Integer.parseInt(s);
    }
    Integer n = NUMBERS.get(s.startsWith("SIG") ? s.substring(3) : s);
    if (n == null) {
      throw new IllegalArgumentException("unknown signal '" + signal + "'");
    }
    return n;
  }
}
