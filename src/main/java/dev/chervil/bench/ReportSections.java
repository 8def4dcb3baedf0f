package dev.chervil.bench;

import java.util.Map;

/**
 * docs/PERFORMANCE.md as sections, each between {@code <!-- bench:NAME -->} and {@code <!--
 * /bench:NAME -->}, so a run of one part of the bench replaces its own section and keeps the others
 * from earlier runs.
 */
final class ReportSections {
  static final String TITLE =
      "# Performance\n\n"
          + "Written by `chervil bench`; each section comes from one run of the command it shows.\n"
          + "Rerun a part to refresh its section. Speed is measured here, never asserted in tests.\n";

  private ReportSections() {}

  static String begin(String name) {
    return "<!-- bench:" + name + " -->";
  }

  static String end(String name) {
    return "<!-- /bench:" + name + " -->";
  }

  /**
   * {@code existing} with each of {@code sections} (name to markdown) put in place of its old text,
   * or appended in the map's order when it had none. A file without any section (written by an
   * older bench) is replaced whole.
   */
  static String merge(String existing, Map<String, String> sections) {
    String text = existing == null || !existing.contains("<!-- bench:") ? TITLE : existing;
    for (Map.Entry<String, String> s : sections.entrySet()) {
      String block = begin(s.getKey()) + "\n" + s.getValue().strip() + "\n" + end(s.getKey());
      int from = text.indexOf(begin(s.getKey()));
      int to = text.indexOf(end(s.getKey()));
      if (from >= 0 && to > from) {
        text = text.substring(0, from) + block + text.substring(to + end(s.getKey()).length());
      } else {
        text = text.stripTrailing() + "\n\n" + block + "\n";
      }
    }
    return text;
  }
}
