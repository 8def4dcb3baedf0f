package dev.chervil.events;

import java.util.List;
import java.util.Map;

/**
 * Python's {@code repr()} of JSON-like values, which Celery puts in events ({@code args}, {@code
 * kwargs}, {@code result}, {@code exception}): Flower and {@code celery events} show these strings.
 */
public final class PyRepr {
  private PyRepr() {}

  public static String of(Object v) {
    StringBuilder out = new StringBuilder();
    append(out, v);
    return out.toString();
  }

  /** {@code ValueError('boom')}, as {@code repr(exc)} prints an exception with one argument. */
  public static String exception(String type, String message) {
    return type + "(" + of(message == null ? "" : message) + ")";
  }

  private static void append(StringBuilder out, Object v) {
    switch (v) {
      case null -> out.append("None");
      case Boolean b -> out.append(b ? "True" : "False");
      case String s -> quote(out, s);
      case Map<?, ?> m -> {
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          out.append(first ? "" : ", ");
          append(out, e.getKey());
          out.append(": ");
          append(out, e.getValue());
          first = false;
        }
        out.append('}');
      }
      case List<?> l -> {
        out.append('[');
        for (int i = 0; i < l.size(); i++) {
          out.append(i == 0 ? "" : ", ");
          append(out, l.get(i));
        }
        out.append(']');
      }
      default -> out.append(v);
    }
  }

  private static void quote(StringBuilder out, String s) {
    char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
    out.append(q);
    for (char c : s.toCharArray()) {
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\t' -> out.append("\\t");
        default -> {
          if (c == q) {
            out.append('\\');
          }
          out.append(c);
        }
      }
    }
    out.append(q);
  }
}
