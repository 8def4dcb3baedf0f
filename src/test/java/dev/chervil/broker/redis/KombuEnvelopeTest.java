package dev.chervil.broker.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.broker.TransportException;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.WireMessage;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KombuEnvelopeTest {
  /**
   * What Celery 5.2 LPUSHed for {@code send_task('proj.add', (1, 2), queue='capq', priority=5,
   * expires=60, reply_to='rq1')}, read back with redis-cli (headers trimmed).
   */
  static final String FROM_PYTHON =
      """
      {"body": "W1sxLCAyXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d",
       "content-encoding": "utf-8", "content-type": "application/json",
       "headers": {"lang": "py", "task": "proj.add", "id": "6719f027", "eta": null,
                   "retries": 0, "timelimit": [null, null]},
       "properties": {"correlation_id": "6719f027", "reply_to": "rq1", "delivery_mode": 2,
                      "expiration": "60000",
                      "delivery_info": {"exchange": "", "routing_key": "capq"},
                      "priority": 5, "body_encoding": "base64",
                      "delivery_tag": "0bccd515-dd1a-4268-a3f0-188071eda818"}}
      """;

  @Test
  void readsWhatPythonWrote() {
    KombuEnvelope e = KombuEnvelope.decode(FROM_PYTHON, "capq");

    assertEquals(
        new MessageProperties("application/json", "utf-8", "6719f027", "rq1", 2, 5, "60000"),
        e.message().properties());
    assertEquals(
        "[[1, 2], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]",
        new String(e.message().body(), StandardCharsets.UTF_8));
    assertEquals("proj.add", e.message().headers().get("task"));
    assertEquals(Arrays.asList(null, null), e.message().headers().get("timelimit"));
    assertEquals("0bccd515-dd1a-4268-a3f0-188071eda818", e.deliveryTag());
    assertEquals("", e.exchange());
    assertEquals("capq", e.routingKey());
    assertFalse(e.redelivered());
    assertFalse(e.expiredAt(Long.MAX_VALUE), "kombu has no TTL: a Python expiration is not ours");
  }

  @Test
  void aRestoredEnvelopeIsRedeliveredWithoutAnExtraHeader() {
    String restored = KombuEnvelope.markedRedelivered(KombuEnvelope.parse(FROM_PYTHON));

    KombuEnvelope e = KombuEnvelope.decode(restored, "capq");

    assertTrue(e.redelivered());
    assertFalse(e.message().headers().containsKey("redelivered"));
    assertEquals("0bccd515-dd1a-4268-a3f0-188071eda818", e.deliveryTag());
  }

  @Test
  void theUnackedEntryIsKombusTriple() {
    KombuEnvelope e = KombuEnvelope.decode(FROM_PYTHON, "capq");
    var triple = KombuEnvelope.parse(e.unackedEntry());
    assertEquals(KombuEnvelope.parse(FROM_PYTHON), triple.get(0));
    assertEquals("", triple.get(1).asText());
    assertEquals("capq", triple.get(2).asText());
  }

  @Test
  void aChervilExpirationIsHonouredFromThePublishTime() {
    WireMessage m =
        new WireMessage(
            MessageProperties.json("c", null).withExpiration("1000"), Map.of(), new byte[0]);
    KombuEnvelope e = KombuEnvelope.decode(KombuEnvelope.encode("", "q", m, 5_000), "q");
    assertFalse(e.expiredAt(6_000));
    assertTrue(e.expiredAt(6_001));
    assertNull(
        KombuEnvelope.decode(
                KombuEnvelope.encode(
                    "",
                    "q",
                    new WireMessage(MessageProperties.json("c", null), Map.of(), new byte[0]),
                    0),
                "q")
            .publishedMs());
  }

  @Test
  void somethingElseInTheListFailsNamingTheQueue() {
    TransportException e =
        assertThrows(TransportException.class, () -> KombuEnvelope.decode("{\"x\": 1}", "q1"));
    assertTrue(e.getMessage().contains("'q1'"), e.getMessage());
    assertThrows(TransportException.class, () -> KombuEnvelope.decode("not json", "q1"));
  }
}
