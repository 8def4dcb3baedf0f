package dev.chervil.task;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.chervil.protocol.CeleryJsonCodec;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fits a message's JSON args/kwargs to a task's declared parameters, the way Python binds a call:
 * positional first, then keywords by name; a keyword no parameter names is a TypeError unless the
 * task takes {@code **kwargs} ({@link TaskDefinition.Builder#varKwargs()}). Conversion is strict —
 * "5" is not an int, 2.5 is not a long — because a silently coerced argument is a wrong result
 * nobody notices.
 */
public final class ArgumentBinder {
  private static final ObjectMapper STRICT = strictMapper();

  private ArgumentBinder() {}

  public static Object[] bind(TaskDefinition task, List<Object> args, Map<String, Object> kwargs)
      throws ArgumentMismatchException {
    if (task.varArgs()) {
      if (!task.varKwargs() && !kwargs.isEmpty()) {
        throw unexpected(task, kwargs.keySet().iterator().next());
      }
      return args.toArray();
    }
    List<Param> params = task.params();
    if (args.size() > params.size()) {
      throw new ArgumentMismatchException(
          task.name()
              + "() takes "
              + params.size()
              + " positional arguments but "
              + args.size()
              + " were given");
    }
    Set<String> known = new HashSet<>();
    Object[] bound = new Object[params.size()];
    for (int i = 0; i < params.size(); i++) {
      Param p = params.get(i);
      known.add(p.name());
      boolean positional = i < args.size();
      if (positional && kwargs.containsKey(p.name())) {
        throw new ArgumentMismatchException(
            task.name() + "() got multiple values for argument '" + p.name() + "'");
      }
      if (!positional && !kwargs.containsKey(p.name())) {
        if (!p.optional()) {
          throw new ArgumentMismatchException(
              task.name() + "() missing required argument '" + p.name() + "'");
        }
        bound[i] = p.type().isPrimitive() ? STRICT.convertValue(0, p.type()) : null;
        continue;
      }
      bound[i] = convert(task, p, positional ? args.get(i) : kwargs.get(p.name()));
    }
    for (String key : kwargs.keySet()) {
      if (!known.contains(key) && !task.varKwargs()) {
        throw unexpected(task, key);
      }
    }
    return bound;
  }

  private static ArgumentMismatchException unexpected(TaskDefinition task, String key) {
    return new ArgumentMismatchException(
        task.name() + "() got an unexpected keyword argument '" + key + "'");
  }

  private static Object convert(TaskDefinition task, Param p, Object value)
      throws ArgumentMismatchException {
    if (value == null) {
      if (p.type().isPrimitive()) {
        throw mismatch(task, p, null);
      }
      return null;
    }
    try {
      return STRICT.convertValue(value, p.type());
    } catch (IllegalArgumentException e) {
      throw mismatch(task, p, value);
    }
  }

  private static ArgumentMismatchException mismatch(TaskDefinition task, Param p, Object value) {
    String got =
        value == null ? "null" : value.getClass().getSimpleName() + " " + abbreviate(value);
    return new ArgumentMismatchException(
        task.name()
            + "() argument '"
            + p.name()
            + "' must be "
            + p.type().getSimpleName()
            + ", got "
            + got);
  }

  private static String abbreviate(Object value) {
    String s = String.valueOf(value);
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  private static ObjectMapper strictMapper() {
    ObjectMapper m = CeleryJsonCodec.mapper().copy();
    m.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    m.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
    for (LogicalType t : List.of(LogicalType.Integer, LogicalType.Float, LogicalType.Boolean)) {
      m.coercionConfigFor(t).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
    }
    m.coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
    m.coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
    m.coercionConfigFor(LogicalType.Boolean)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
    return m;
  }
}
