package dev.chervil.protocol;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Unmodifiable copies that keep nulls and order. JSON from Python carries {@code None} anywhere, so
 * {@code List.copyOf}/{@code Map.copyOf}, which refuse nulls, are not usable for wire values.
 */
public final class Values {
  private Values() {}

  public static <T> List<T> list(List<? extends T> values) {
    return values == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(values));
  }

  public static <K, V> Map<K, V> map(Map<? extends K, ? extends V> values) {
    return values == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }
}
