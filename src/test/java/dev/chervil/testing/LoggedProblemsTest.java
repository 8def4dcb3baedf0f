package dev.chervil.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The watch that storm tests rely on to prove "no error logged" does see errors. */
class LoggedProblemsTest {
  private static final Logger log = LoggerFactory.getLogger(LoggedProblemsTest.class);

  @Test
  void seesWarningsAndErrorsButNotInfo() {
    List<String> lines;
    try (LoggedProblems logged = LoggedProblems.watch()) {
      log.info("event=fine");
      log.warn("event=odd");
      log.error("event=broken");
      lines = logged.lines();
    }
    assertEquals(2, lines.size(), lines.toString());
    assertTrue(lines.get(0).contains("WARN") && lines.get(0).endsWith("event=odd"), lines.get(0));
    assertTrue(
        lines.get(1).contains("ERROR") && lines.get(1).endsWith("event=broken"), lines.get(1));
  }
}
