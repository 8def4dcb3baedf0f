package dev.chervil.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chervil.backend.ResultMeta;
import dev.chervil.backend.TaskState;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Fixtures in src/test/resources/protocol are what Celery 5.2 itself builds ({@code
 * app.amqp.as_task_v2}, body as kombu's json serializer writes it): headers, properties and the
 * exact body bytes.
 */
class CeleryJsonCodecTest {

  @Test
  void decodesACelery52Message() throws Exception {
    TaskMessage m = CeleryJsonCodec.decode(fixture("celery52-add"));
    assertEquals("proj.tasks.add", m.task());
    assertEquals("1f7e4b4c-1a2b-4c3d-8e9f-0a1b2c3d4e5f", m.id());
    assertEquals(List.of(2, 3), m.args());
    assertEquals(Map.of(), m.kwargs());
    assertEquals(Embed.EMPTY, m.embed());
    assertTrue(m.headers().timelimit().isNone());
    assertEquals("py", m.headers().lang());
    assertEquals("(2, 3)", m.headers().argsrepr());
    assertEquals("2c9a1f8e-reply", m.properties().replyTo());
    assertEquals(m.id(), m.properties().correlationId());
  }

  @Test
  void decodesEveryHeaderCeleryWrites() throws Exception {
    TaskMessage m = CeleryJsonCodec.decode(fixture("celery52-full"));
    TaskHeaders h = m.headers();
    assertEquals(OffsetDateTime.parse("2026-11-25T12:00:30Z"), h.eta());
    assertEquals(OffsetDateTime.parse("2026-11-25T12:05:00Z"), h.expires());
    assertEquals(2, h.retries());
    assertEquals(new TimeLimit(10.0, 5.0), h.timelimit(), "timelimit is [hard, soft]");
    assertEquals("grp-1", h.group());
    assertEquals(0, h.groupIndex());
    assertEquals("root-1", h.rootId());
    assertEquals("parent-1", h.parentId());
    assertEquals("gen1@host", h.origin());
    assertEquals(Map.of(), h.extra());
    assertEquals(List.of("q3", java.util.Arrays.asList(1, 2.5, null)), m.args());
    assertEquals(Map.of("fmt", "csv", "limit", 10), m.kwargs());
    assertEquals(1, m.embed().callbacks().size());
    assertEquals("proj.tasks.notify", m.embed().callbacks().get(0).get("task"));
  }

  @Test
  void encodesWhatCeleryWrites() throws Exception {
    for (String name : List.of("celery52-add", "celery52-full")) {
      WireMessage celery = fixture(name);
      WireMessage ours = CeleryJsonCodec.encode(CeleryJsonCodec.decode(celery));
      assertEquals(
          celery.headers().keySet(), ours.headers().keySet(), name + ": same header names");
      assertEquals(tree(celery.body()), tree(ours.body()), name + ": same body");
      assertEquals(
          CeleryJsonCodec.decode(celery).headers(),
          CeleryJsonCodec.decode(ours).headers(),
          name + ": same header values");
      assertEquals("application/json", ours.properties().contentType());
      assertEquals("utf-8", ours.properties().contentEncoding());
      assertEquals(celery.properties().correlationId(), ours.properties().correlationId());
      assertEquals(2, ours.properties().deliveryMode());
    }
  }

  @Test
  void writesTimelimitAsHardThenSoftAndExpiresAsAmqpExpiration() throws Exception {
    TaskHeaders h =
        TaskHeaders.builder("t", "id-1")
            .timelimit(new TimeLimit(10.0, null))
            .expires(OffsetDateTime.now().plusSeconds(60))
            .build();
    WireMessage w = CeleryJsonCodec.encode(new TaskMessage(h, List.of(), Map.of(), null, null));
    assertEquals(java.util.Arrays.asList(10.0, null), w.headers().get("timelimit"));
    long ttl = Long.parseLong(w.properties().expiration());
    assertTrue(ttl > 55_000 && ttl <= 60_000, "expiration ms " + ttl);
    assertEquals("id-1", w.properties().correlationId());
  }

  @Test
  void refusesPickleAndOtherContentTypes() {
    for (String type :
        List.of("application/x-python-serialize", "application/x-yaml", "application/x-msgpack")) {
      MalformedMessageException e =
          assertThrows(
              MalformedMessageException.class,
              () -> CeleryJsonCodec.decode(with(fixture("celery52-add"), type, w -> {})));
      assertTrue(e.getMessage().contains(type), e.getMessage());
    }
  }

  @Test
  void namesWhatIsWrongWithAMalformedMessage() throws Exception {
    assertReason("missing header 'id'", headers(h -> h.remove("id")));
    assertReason("not a protocol v2 message", headers(h -> h.remove("task")));
    assertReason("header 'retries' should be an integer", headers(h -> h.put("retries", "x")));
    assertReason("header 'timelimit' should be [hard, soft]", headers(h -> h.put("timelimit", 5)));
    assertReason("header 'eta' is not an ISO-8601 time", headers(h -> h.put("eta", "tomorrow")));
    assertReason("body is not valid JSON", body("[[2, 3], {}"));
    assertReason("body is not [args, kwargs, embed]", body("{\"args\": [2, 3]}"));
    assertReason("args is not a list", body("[2, {}, null]"));
    assertReason("kwargs is not a dict", body("[[], [], null]"));
    assertReason("embed.callbacks is not a list", body("[[], {}, {\"callbacks\": 1}]"));
  }

  @Test
  void refusesABodyThatIsNotUtf8OrIsEmpty() throws IOException {
    WireMessage latin1 =
        new WireMessage(
            fixture("celery52-add").properties(),
            fixture("celery52-add").headers(),
            "[[\"caf\u00e9\"], {}, null]".getBytes(StandardCharsets.ISO_8859_1));
    assertReason("body is not valid JSON", latin1); // kombu's utf-8 decode refuses it too
    assertReason("empty body", new WireMessage(latin1.properties(), latin1.headers(), new byte[0]));
  }

  @Test
  void decodesArgumentsToPlainValuesInOrder() throws Exception {
    TaskMessage m =
        CeleryJsonCodec.decode(
            body(
                "[[1, 12345678901, 123456789012345678901234, 1.5, \"s\", null, true, [2]],"
                    + " {\"b\": {\"x\": 1}, \"a\": 2}, {\"callbacks\": [{\"task\": \"t\"}]}]"));
    assertEquals(
        java.util.Arrays.asList(
            1,
            12345678901L,
            new java.math.BigInteger("123456789012345678901234"),
            1.5,
            "s",
            null,
            true,
            List.of(2)),
        m.args());
    assertEquals(List.of("b", "a"), List.copyOf(m.kwargs().keySet()));
    assertEquals(Map.of("x", 1), m.kwargs().get("b"));
    assertEquals("t", m.embed().callbacks().get(0).get("task"));
  }

  @Test
  void keepsHeadersItDoesNotModelForForwarding() throws Exception {
    WireMessage w = headers(h -> h.put("x-custom", null));
    TaskMessage m = CeleryJsonCodec.decode(w);
    assertTrue(m.headers().extra().containsKey("x-custom"));
    assertTrue(CeleryJsonCodec.encode(m).headers().containsKey("x-custom"));
  }

  @Test
  void resultMetaRoundTripsAndReadsCelerysNaiveDates() throws Exception {
    String celery =
        "{\"status\": \"FAILURE\", \"result\": {\"exc_type\": \"ValueError\", "
            + "\"exc_message\": [\"bad\"], \"exc_module\": \"builtins\"}, \"traceback\": \"Traceback...\", "
            + "\"children\": [], \"date_done\": \"2026-11-25T12:00:31.123456\", \"task_id\": \"t-1\"}";
    ResultMeta meta = CeleryJsonCodec.decodeResult(celery.getBytes(StandardCharsets.UTF_8), null);
    assertEquals(TaskState.FAILURE, meta.status());
    assertEquals("t-1", meta.taskId());
    assertEquals(OffsetDateTime.parse("2026-11-25T12:00:31.123456Z"), meta.dateDone());
    JsonNode ours = tree(CeleryJsonCodec.encodeResult(meta));
    assertEquals(
        List.of("status", "result", "traceback", "children", "date_done", "task_id"),
        iterator(ours.fieldNames()));
    assertEquals(tree(celery.getBytes(StandardCharsets.UTF_8)).get("result"), ours.get("result"));
    assertNull(
        CeleryJsonCodec.decodeResult(
                CeleryJsonCodec.encodeResult(
                    new ResultMeta("t-2", TaskState.SUCCESS, 5, null, null, null)),
                null)
            .traceback());
    assertThrows(
        MalformedMessageException.class,
        () ->
            CeleryJsonCodec.decodeResult(
                "{\"status\": \"WEIRD\"}".getBytes(StandardCharsets.UTF_8), "x"));
  }

  /** Bodies compressed by Python's zlib.compress, bz2.compress and lzma.compress, as kombu does. */
  @Test
  void decodesBodiesKombuCompressed() throws Exception {
    Map<String, String> python =
        Map.of(
            "application/x-gzip",
            "eJyLjjbSUTCO1VGorgVipeTEnJykxOTsYiUrhbzSnBwdBaXUoiI0keSMxMw8ZG5+UQqUWxsLAApsGfI=",
            "application/x-bz2",
            "QlpoOTFBWSZTWaRTNS4AAA+bgFAEGBAACj5tmgogAFQ1AGgANNBKmJqGh6g9QyKDgh7KRfKnlLYiH3BWh+Se77WpIy1GQqGFNWw7AESeQGBAcl8XckU4UJCkUzUu",
            "application/x-lzma",
            "/Td6WFoAAATm1rRGAgAhARYAAAB0L+Wj4ABQADZdAC3gxFghFmYaLE91EEZQl45P+JXz7EBhcwcW3cF2FJS4v+KyE8ElvCxsTUIn6T/m2ZkUoqc8AAAAAL+W5h8113PWAAFSUZ/rZ7QftvN9AQAAAAAEWVo=");
    for (Map.Entry<String, String> e : python.entrySet()) {
      WireMessage w = headers(h -> h.put("compression", e.getKey()));
      WireMessage compressed =
          new WireMessage(
              w.properties(), w.headers(), java.util.Base64.getDecoder().decode(e.getValue()));
      TaskMessage m = CeleryJsonCodec.decode(compressed);
      assertEquals(List.of(2, 3), m.args(), e.getKey());
    }
    assertReason("unsupported compression", headers(h -> h.put("compression", "application/zstd")));
    assertReason(
        "body is not valid application/x-bz2", headers(h -> h.put("compression", "bzip2")));
  }

  @Test
  void compressesWhenTheCompressionHeaderSaysSoAndReadsItBack() throws Exception {
    for (String method : List.of("gzip", "zlib", "bzip2", "lzma", "xz")) {
      WireMessage w = headers(h -> h.put("compression", method));
      TaskMessage m =
          CeleryJsonCodec.decode(
              new WireMessage(
                  w.properties(),
                  w.headers(),
                  Compression.compress(method, fixture("celery52-add").body())));
      WireMessage out = CeleryJsonCodec.encode(m);
      assertEquals(Compression.contentType(method), out.headers().get("compression"));
      assertTrue(out.body()[0] != '[', method + ": the body is compressed");
      assertEquals(List.of(2, 3), CeleryJsonCodec.decode(out).args(), method);
    }
  }

  @Test
  void readsAndWritesNanAndInfinityTheWayPythonsJsonDoes() throws Exception {
    TaskMessage m = CeleryJsonCodec.decode(body("[[NaN, Infinity, -Infinity], {}, null]"));
    assertTrue(Double.isNaN((Double) m.args().get(0)));
    assertEquals(Double.POSITIVE_INFINITY, m.args().get(1));
    assertEquals(Double.NEGATIVE_INFINITY, m.args().get(2));
    String written = new String(CeleryJsonCodec.encode(m).body(), StandardCharsets.UTF_8);
    assertTrue(written.startsWith("[[NaN,Infinity,-Infinity]"), written);
  }

  /** What Python can send is read: a 21M-character string (Jackson's default stops at 20M). */
  @Test
  void jacksonLimitsMatchWhatPythonCanSend() throws Exception {
    String big = "x".repeat(21_000_000);
    assertEquals(big, CeleryJsonCodec.decode(body("[[\"" + big + "\"], {}, null]")).args().get(0));
    String digits = "9".repeat(4300);
    assertEquals(
        new java.math.BigInteger(digits),
        CeleryJsonCodec.decode(body("[[" + digits + "], {}, null]")).args().get(0));
    assertReason("Number value length", body("[[" + digits + "9], {}, null]"));
    String deep = "[".repeat(996) + "]".repeat(996);
    assertEquals(1, CeleryJsonCodec.decode(body("[[" + deep + "], {}, null]")).args().size());
    assertReason(
        "nesting depth", body("[[" + "[".repeat(1000) + "]".repeat(1000) + "], {}, null]"));
  }

  @Test
  void headerValuesAreBoundedBeforeAnythingSchedulesOnThem() throws Exception {
    assertReason(
        "header 'retries' should be an integer from 0", headers(h -> h.put("retries", -1)));
    assertReason(
        "header 'retries' should be an integer from 0", headers(h -> h.put("retries", 1L << 40)));
    assertReason(
        "header 'group_index' should be an integer from 0", headers(h -> h.put("group_index", -2)));
    assertReason(
        "header 'timelimit' should be finite",
        headers(h -> h.put("timelimit", java.util.Arrays.asList(Double.NaN, null))));
    assertEquals(
        new TimeLimit(0.001, null),
        CeleryJsonCodec.decode(headers(h -> h.put("timelimit", java.util.Arrays.asList(1e-12, 0))))
            .headers()
            .timelimit(),
        "a tiny limit is raised to a millisecond; 0 is no limit");
    assertEquals(
        CeleryJsonCodec.MAX_LIMIT_SECONDS,
        CeleryJsonCodec.decode(
                headers(h -> h.put("timelimit", java.util.Arrays.asList(1e300, null))))
            .headers()
            .timelimit()
            .hardSeconds());
    for (String far : List.of("2400-01-01T00:00:00+00:00", "+999999999-12-31T23:59:59+00:00")) {
      TaskMessage m = CeleryJsonCodec.decode(headers(h -> h.put("eta", far)));
      assertEquals(
          CeleryJsonCodec.FAR_FUTURE.toMillis() / 1000,
          CeleryJsonCodec.millisUntil(m.headers().eta()) / 1000,
          far + " is held as far as can be counted");
      TaskMessage expiring = CeleryJsonCodec.decode(headers(h -> h.put("expires", far)));
      assertTrue(
          Long.parseLong(CeleryJsonCodec.encode(expiring).properties().expiration()) > 0, far);
    }
  }

  @Test
  void refusalsNameThePythonExceptionACallerShouldSee() throws Exception {
    MalformedMessageException pickle =
        assertThrows(
            MalformedMessageException.class,
            () ->
                CeleryJsonCodec.decode(
                    with(fixture("celery52-add"), "application/x-python-serialize", w -> {})));
    assertEquals("ContentDisallowed", pickle.excType());
    assertEquals("kombu.exceptions", pickle.excModule());
    assertTrue(
        pickle.getMessage().contains("Refusing to deserialize untrusted content of type pickle"));
    WireMessage v1 =
        new WireMessage(
            fixture("celery52-add").properties(),
            Map.of(),
            "{\"task\": \"proj.tasks.add\", \"id\": \"v1-id\", \"args\": [1, 2]}"
                .getBytes(StandardCharsets.UTF_8));
    MalformedMessageException old =
        assertThrows(MalformedMessageException.class, () -> CeleryJsonCodec.decode(v1));
    assertEquals("NotImplementedError", old.excType());
    assertEquals("v1-id", CeleryJsonCodec.taskIdOf(v1), "a protocol 1 body names its id");
    assertEquals(
        "DecodeError",
        assertThrows(MalformedMessageException.class, () -> CeleryJsonCodec.decode(body("[")))
            .excType());
  }

  @Test
  void resultMetaKeepsCelerysOtherFields() throws Exception {
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("parent_id", "p-1");
    extra.put("name", "proj.tasks.add");
    extra.put("args", List.of(1, 2));
    ResultMeta meta = new ResultMeta("t-3", TaskState.SUCCESS, 3, null, null, null, extra);
    ResultMeta back = CeleryJsonCodec.decodeResult(CeleryJsonCodec.encodeResult(meta), null);
    assertEquals(extra, back.extra());
  }

  // ---- fixtures ----

  private static void assertReason(String expected, WireMessage w) {
    MalformedMessageException e =
        assertThrows(MalformedMessageException.class, () -> CeleryJsonCodec.decode(w));
    assertTrue(e.getMessage().contains(expected), "reason was: " + e.getMessage());
  }

  private static WireMessage headers(Consumer<Map<String, Object>> edit) throws IOException {
    return with(fixture("celery52-add"), "application/json", edit);
  }

  private static WireMessage body(String json) throws IOException {
    WireMessage w = fixture("celery52-add");
    return new WireMessage(w.properties(), w.headers(), json.getBytes(StandardCharsets.UTF_8));
  }

  private static WireMessage with(
      WireMessage w, String contentType, Consumer<Map<String, Object>> edit) {
    Map<String, Object> headers = new LinkedHashMap<>(w.headers());
    edit.accept(headers);
    MessageProperties p = w.properties();
    return new WireMessage(
        new MessageProperties(
            contentType,
            p.contentEncoding(),
            p.correlationId(),
            p.replyTo(),
            p.deliveryMode(),
            p.priority(),
            p.expiration()),
        headers,
        w.body());
  }

  @SuppressWarnings("unchecked")
  static WireMessage fixture(String name) throws IOException {
    try (InputStream in =
        CeleryJsonCodecTest.class.getResourceAsStream("/protocol/" + name + ".json")) {
      Map<String, Object> f = CeleryJsonCodec.mapper().readValue(in, Map.class);
      Map<String, Object> p = (Map<String, Object>) f.get("properties");
      MessageProperties props =
          new MessageProperties(
              (String) p.get("content_type"),
              (String) p.get("content_encoding"),
              (String) p.get("correlation_id"),
              (String) p.get("reply_to"),
              2,
              null,
              null);
      return new WireMessage(
          props,
          (Map<String, Object>) f.get("headers"),
          ((String) f.get("body")).getBytes(StandardCharsets.UTF_8));
    }
  }

  private static JsonNode tree(byte[] json) throws IOException {
    return CeleryJsonCodec.mapper().readTree(json);
  }

  private static List<String> iterator(java.util.Iterator<String> it) {
    List<String> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
