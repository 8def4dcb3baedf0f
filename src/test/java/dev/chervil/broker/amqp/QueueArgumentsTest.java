package dev.chervil.broker.amqp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class QueueArgumentsTest {
  @Test
  void quorumDeclaresWhatCelery55DeclaresAndADeliveryLimitOnlyWhenAsked() {
    assertEquals(Map.of("x-queue-type", "quorum"), QueueArguments.of("quorum", null, null));
    assertEquals(
        Map.of("x-queue-type", "quorum", "x-delivery-limit", 5),
        QueueArguments.of("QUORUM", null, 5));
  }

  @Test
  void priorityIsAnIntegerAndOutOfRangeOrOnQuorumIsRefused() {
    assertEquals(Map.of("x-max-priority", 10), QueueArguments.of(null, 10, null));
    assertEquals(Map.of(), QueueArguments.of(null, null, null));
    assertThrows(IllegalArgumentException.class, () -> QueueArguments.of(null, 0, null));
    assertThrows(IllegalArgumentException.class, () -> QueueArguments.of(null, 256, null));
    assertThrows(IllegalArgumentException.class, () -> QueueArguments.of("quorum", 10, null));
    assertThrows(IllegalArgumentException.class, () -> QueueArguments.of("stream", null, null));
    assertThrows(IllegalArgumentException.class, () -> QueueArguments.of(null, null, 3));
  }
}
