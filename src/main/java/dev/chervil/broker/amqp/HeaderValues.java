package dev.chervil.broker.amqp;

import com.rabbitmq.client.LongString;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts header values between amqp-client's field-table types and plain Java values.
 *
 * <p>Inbound, amqp-client hands strings over as {@link LongString} (raw bytes), also inside nested
 * tables and arrays, which is what Celery's {@code timelimit}, {@code stamps} and {@code argsrepr}
 * headers are; they become {@link String}. Outbound, only types the AMQP 0-9-1 field table can
 * carry are accepted, so a bad header fails at publish with its name, not as a frame error on the
 * connection.
 *
 * <p>Inbound nesting is bounded by {@link #MAX_NESTING}, as a JSON body is: amqp-client parses a
 * table of any depth that fits a frame (about 20,000 levels in 128 KiB), and walking that
 * recursively here would overflow the consumer thread's stack.
 */
final class HeaderValues {
  /** As deep as a JSON body may nest (docs/COMPATIBILITY.md, "Message bounds"). */
  static final int MAX_NESTING = 1000;

  private HeaderValues() {}

  /** Headers nested deeper than {@link #MAX_NESTING}: the message is refused, not decoded. */
  static final class TooDeepException extends IllegalArgumentException {
    TooDeepException(String header) {
      super("header '" + header + "' is nested deeper than " + MAX_NESTING + " levels");
    }
  }

  /**
   * Headers as received, with strings decoded. Top-level null values (Python's {@code None}, sent
   * as AMQP void) are left out: {@code WireMessage} copies headers with {@code Map.copyOf}, which
   * refuses nulls, and for Celery an absent header reads the same as {@code None}.
   */
  static Map<String, Object> fromAmqp(Map<String, Object> headers) {
    if (headers == null) {
      return Map.of();
    }
    Map<String, Object> out = new LinkedHashMap<>();
    headers.forEach(
        (key, value) -> {
          if (value != null) {
            out.put(key, fromAmqpValue(key, value, 1));
          }
        });
    return out;
  }

  /**
   * @throws TooDeepException past {@link #MAX_NESTING} levels of tables and arrays
   */
  static Object fromAmqpValue(String header, Object value, int depth) {
    return switch (value) {
      case null -> null;
      case LongString s -> s.toString();
      case Map<?, ?> map -> {
        checkDepth(header, depth);
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(String.valueOf(k), fromAmqpValue(header, v, depth + 1)));
        yield out;
      }
      case List<?> list -> {
        checkDepth(header, depth);
        List<Object> out = new ArrayList<>(list.size());
        list.forEach(v -> out.add(fromAmqpValue(header, v, depth + 1)));
        yield out;
      }
      default -> value;
    };
  }

  private static void checkDepth(String header, int depth) {
    if (depth > MAX_NESTING) {
      throw new TooDeepException(header);
    }
  }

  static Map<String, Object> toAmqp(Map<String, Object> headers) {
    if (headers == null || headers.isEmpty()) {
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    headers.forEach((key, value) -> out.put(key, toAmqpValue(key, value)));
    return out;
  }

  private static Object toAmqpValue(String header, Object value) {
    return switch (value) {
      case null -> null;
      case String s -> s;
      case Integer _, Long _, Short _, Byte _, Boolean _, Double _, Float _ -> value;
      case BigDecimal _, Date _, byte[] _, LongString _ -> value;
      case BigInteger big when big.bitLength() < 64 -> big.longValue();
      case Map<?, ?> map -> {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(String.valueOf(k), toAmqpValue(header, v)));
        yield out;
      }
      case Collection<?> list -> {
        List<Object> out = new ArrayList<>(list.size());
        list.forEach(v -> out.add(toAmqpValue(header, v)));
        yield out;
      }
      case Object[] array -> {
        List<Object> out = new ArrayList<>(array.length);
        for (Object v : array) {
          out.add(toAmqpValue(header, v));
        }
        yield out;
      }
      default ->
          throw new IllegalArgumentException(
              "header '"
                  + header
                  + "' holds a "
                  + value.getClass().getName()
                  + ", which an AMQP field table cannot carry");
    };
  }
}
