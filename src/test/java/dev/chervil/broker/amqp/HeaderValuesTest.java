package dev.chervil.broker.amqp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.LongString;
import com.rabbitmq.client.impl.LongStringHelper;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeaderValuesTest {
  private static LongString ls(String s) {
    return LongStringHelper.asLongString(s);
  }

  @Test
  void longStringsBecomeStringsAlsoInsideTablesAndArrays() {
    Map<String, Object> stamps = new HashMap<>();
    stamps.put("origin", ls("gen1"));
    stamps.put("list", List.of(ls("a"), 1));
    Map<String, Object> in = new HashMap<>();
    in.put("task", ls("proj.add"));
    in.put("timelimit", Arrays.asList(null, ls("x")));
    in.put("stamps", stamps);
    in.put("retries", 3);

    Map<String, Object> out = HeaderValues.fromAmqp(in);

    assertEquals("proj.add", out.get("task"));
    assertEquals(Arrays.asList(null, "x"), out.get("timelimit"));
    assertEquals(Map.of("origin", "gen1", "list", List.of("a", 1)), out.get("stamps"));
    assertEquals(3, out.get("retries"));
  }

  @Test
  void topLevelNullsAreLeftOutBecauseWireMessageCannotHoldThem() {
    Map<String, Object> in = new HashMap<>();
    in.put("eta", null);
    in.put("task", ls("t"));
    assertEquals(Map.of("task", "t"), HeaderValues.fromAmqp(in));
  }

  @Test
  void aValueAnAmqpTableCannotCarryIsRefusedWithTheHeaderName() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> HeaderValues.toAmqp(Map.of("weird", new Object())));
    assertTrue(e.getMessage().contains("'weird'"), e.getMessage());
  }
}
