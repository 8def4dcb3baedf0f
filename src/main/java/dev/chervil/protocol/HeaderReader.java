package dev.chervil.protocol;

import static dev.chervil.protocol.CeleryJsonCodec.KNOWN_HEADERS;
import static dev.chervil.protocol.CeleryJsonCodec.MAX_LIMIT_SECONDS;
import static dev.chervil.protocol.CeleryJsonCodec.MIN_LIMIT_SECONDS;
import static dev.chervil.protocol.CeleryJsonCodec.abbreviate;
import static dev.chervil.protocol.CeleryJsonCodec.parseTime;

import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Typed, bounded reads of a message's header values, each failing with the header's name: the
 * checks that run before anything is scheduled on a value (see docs/COMPATIBILITY.md, "Message
 * bounds").
 */
record HeaderReader(Map<String, Object> raw) {

  String requiredString(String name) throws MalformedMessageException {
    String v = string(name);
    if (v == null || v.isBlank()) {
      throw new MalformedMessageException("missing header '" + name + "'");
    }
    return v;
  }

  String string(String name) throws MalformedMessageException {
    Object v = raw.get(name);
    if (v == null || v instanceof String) {
      return (String) v;
    }
    throw wrongType(name, "a string", v);
  }

  /** A non-negative integer that fits an int (a long past it would be silently truncated). */
  Integer natural(String name) throws MalformedMessageException {
    Object v = raw.get(name);
    if (v == null) {
      return null;
    }
    if ((v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte)
        && ((Number) v).longValue() >= 0
        && ((Number) v).longValue() <= Integer.MAX_VALUE) {
      return ((Number) v).intValue();
    }
    throw wrongType(name, "an integer from 0 to " + Integer.MAX_VALUE, v);
  }

  Boolean bool(String name) throws MalformedMessageException {
    Object v = raw.get(name);
    if (v == null || v instanceof Boolean) {
      return (Boolean) v;
    }
    throw wrongType(name, "a boolean", v);
  }

  OffsetDateTime time(String name) throws MalformedMessageException {
    String v = string(name);
    return v == null ? null : parseTime(name, v);
  }

  List<String> stringList(String name) throws MalformedMessageException {
    Object v = raw.get(name);
    if (v == null) {
      return null;
    }
    if (v instanceof List<?> l && l.stream().allMatch(x -> x instanceof String)) {
      return l.stream().map(String.class::cast).toList();
    }
    throw wrongType(name, "a list of strings", v);
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> map(String name) throws MalformedMessageException {
    Object v = raw.get(name);
    if (v == null || v instanceof Map<?, ?>) {
      return (Map<String, Object>) v;
    }
    throw wrongType(name, "a dict", v);
  }

  TimeLimit timelimit() throws MalformedMessageException {
    Object v = raw.get("timelimit");
    if (v == null) {
      return TimeLimit.NONE;
    }
    if (!(v instanceof List<?> l) || l.size() != 2) {
      throw wrongType("timelimit", "[hard, soft]", v);
    }
    return new TimeLimit(seconds(l.get(0)), seconds(l.get(1)));
  }

  /**
   * Seconds as a finite number; 0 is Celery's "no limit", sub-millisecond limits are raised to a
   * millisecond and absurd ones clamped (see {@link #MAX_LIMIT_SECONDS}).
   */
  private static Double seconds(Object v) throws MalformedMessageException {
    if (v == null) {
      return null;
    }
    if (v instanceof Number n && n.doubleValue() >= 0 && Double.isFinite(n.doubleValue())) {
      double s = n.doubleValue();
      if (s == 0) {
        return null;
      }
      return Math.min(MAX_LIMIT_SECONDS, Math.max(MIN_LIMIT_SECONDS, s));
    }
    throw wrongType("timelimit", "finite non-negative seconds or null", v);
  }

  Map<String, Object> extra() {
    Map<String, Object> extra = new LinkedHashMap<>();
    raw.forEach(
        (k, v) -> {
          if (!KNOWN_HEADERS.contains(k)) {
            extra.put(k, v);
          }
        });
    return extra;
  }

  private static MalformedMessageException wrongType(String name, String expected, Object v) {
    return new MalformedMessageException(
        "header '" + name + "' should be " + expected + ", got " + abbreviate(v));
  }
}
