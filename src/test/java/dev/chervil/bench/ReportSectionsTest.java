package dev.chervil.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportSectionsTest {

  @Test
  void aNewFileIsTheTitleThenTheSectionsInOrder() {
    Map<String, String> sections = new LinkedHashMap<>();
    sections.put("pool", "## Pool\nkills");
    sections.put("side-by-side", "## Side\nrates");
    String text = ReportSections.merge(null, sections);
    assertTrue(text.startsWith(ReportSections.TITLE));
    assertTrue(text.indexOf("## Pool") < text.indexOf("## Side"));
    assertTrue(text.contains("<!-- bench:pool -->\n## Pool\nkills\n<!-- /bench:pool -->"));
  }

  @Test
  void aPartialRunReplacesItsOwnSectionAndKeepsTheOthers() {
    String before =
        ReportSections.merge(null, new LinkedHashMap<>(Map.of("pool", "## Pool\nold kills")));
    before = ReportSections.merge(before, Map.of("jfr-before", "## JFR before\nframes"));
    String after = ReportSections.merge(before, Map.of("pool", "## Pool\nnew kills"));
    assertFalse(after.contains("old kills"));
    assertTrue(after.contains("new kills"));
    assertTrue(after.contains("## JFR before\nframes"));
    assertTrue(after.indexOf("new kills") < after.indexOf("JFR before"), "kept in place");
    assertEquals(after, ReportSections.merge(after, Map.of("pool", "## Pool\nnew kills")));
  }

  @Test
  void aFileFromBeforeSectionsIsReplacedWhole() {
    String text = ReportSections.merge("# Performance\n\nold table\n", Map.of("pool", "## Pool"));
    assertFalse(text.contains("old table"));
    assertTrue(text.contains("<!-- bench:pool -->"));
  }
}
