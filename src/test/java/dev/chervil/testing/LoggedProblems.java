package dev.chervil.testing;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * Collects the WARN and ERROR lines this JVM logs while it is open, still passing every byte on.
 * slf4j-simple writes each event to whatever {@code System.err} is at that moment, so a tee there
 * sees the supervisor's log (child JVMs write to the inherited fd 2 and are not seen).
 */
public final class LoggedProblems implements AutoCloseable {
  private static final Pattern PROBLEM = Pattern.compile("^\\[[^]]*] (WARN|ERROR) .*");

  private final PrintStream original = System.err;
  private final List<String> problems = new CopyOnWriteArrayList<>();

  private LoggedProblems() {
    System.setErr(new PrintStream(new LineTee(original), true, StandardCharsets.UTF_8));
  }

  public static LoggedProblems watch() {
    return new LoggedProblems();
  }

  /** The WARN and ERROR lines logged so far. */
  public List<String> lines() {
    return List.copyOf(problems);
  }

  @Override
  public void close() {
    System.err.flush();
    System.setErr(original);
  }

  private final class LineTee extends OutputStream {
    private final PrintStream out;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    LineTee(PrintStream out) {
      this.out = out;
    }

    @Override
    public synchronized void write(int b) {
      out.write(b);
      if (b == '\n') {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (PROBLEM.matcher(text).matches()) {
          problems.add(text);
        }
      } else {
        line.write(b);
      }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      for (int i = off; i < off + len; i++) {
        write(b[i]);
      }
    }

    @Override
    public void flush() {
      out.flush();
    }
  }
}
