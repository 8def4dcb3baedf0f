package dev.chervil.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.chervil.backend.ResultMeta;
import dev.chervil.backend.TaskState;
import java.io.IOException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one JSON codec: {@link TaskMessage} to and from {@link WireMessage} (Celery protocol v2), and
 * result meta dicts. Pickle and every other non-JSON content type are refused, never deserialized.
 *
 * <p>Decoding is strict about shape (a header of the wrong type is an error naming the header) and
 * lenient about presence (absent optional headers are Python's {@code None}).
 *
 * <p>It is one class, longer than most, because encoding and decoding are mirror images of one wire
 * format: {@link #encode} and {@link #decode} sit side by side, header for header, so a change to
 * one is made looking at the other.
 */
public final class CeleryJsonCodec {
  /**
   * The most a body may hold, decompressed: RabbitMQ's default {@code max_message_size} (128 MiB),
   * so any string Python can put in an uncompressed message is read (Jackson's own default, 20 M
   * characters, refused valid messages).
   */
  public static final int MAX_BODY_BYTES = 128 * 1024 * 1024;

  /**
   * Python 3.11's {@code sys.get_int_max_str_digits()}: {@code json.dumps} refuses longer integers.
   */
  static final int MAX_NUMBER_DIGITS = 4300;

  /**
   * Python's {@code json.dumps} raises RecursionError below 1,000 levels (its default recursion
   * limit), so nothing deeper comes from a stock Python client.
   */
  static final int MAX_NESTING = 1000;

  /**
   * ETAs and expiry times past this are held as if this far away: far enough never to fire in a
   * worker's life, near enough for nanosecond arithmetic ({@code toNanos} overflows at 292 years).
   */
  static final java.time.Duration FAR_FUTURE = java.time.Duration.ofDays(100 * 365);

  /**
   * Time limits past this (about 10 years) are clamped to it; a positive limit under a millisecond
   * is raised to one millisecond, the resolution of the worker's timers (it used to round to zero,
   * which TimeLimits refuses).
   */
  static final double MAX_LIMIT_SECONDS = 10 * 365 * 86400.0;

  static final double MIN_LIMIT_SECONDS = 0.001;

  private static final ObjectMapper MAPPER = newMapper();

  /** Reads any JSON value into plain Java values (see {@link #readBody}). */
  private static final ObjectReader VALUES = MAPPER.readerFor(Object.class);

  private static ObjectMapper newMapper() {
    JsonFactory factory =
        JsonFactory.builder()
            // Python's json writes NaN, Infinity and -Infinity bare and reads them back.
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .streamReadConstraints(
                StreamReadConstraints.builder()
                    .maxStringLength(MAX_BODY_BYTES)
                    .maxNumberLength(MAX_NUMBER_DIGITS)
                    .maxNestingDepth(MAX_NESTING)
                    .build())
            .build();
    return new ObjectMapper(factory).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  /** Python's {@code datetime.isoformat()} with an explicit offset, which every Celery parses. */
  private static final DateTimeFormatter ISO =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSxxx");

  /**
   * The headers this version models; anything else is kept in {@link TaskHeaders#extra()}. So is
   * kombu's {@code compression}: a message re-sent (a retry) is compressed as it came.
   */
  static final Set<String> KNOWN_HEADERS =
      Set.of(
          "lang",
          "task",
          "id",
          "shadow",
          "eta",
          "expires",
          "group",
          "group_index",
          "retries",
          "timelimit",
          "root_id",
          "parent_id",
          "argsrepr",
          "kwargsrepr",
          "origin",
          "ignore_result",
          "replaced_task_nesting",
          "stamped_headers",
          "stamps");

  private static final Set<String> RESULT_FIELDS =
      Set.of("status", "result", "traceback", "children", "date_done", "task_id");

  private CeleryJsonCodec() {}

  /** The shared mapper, for code that converts JSON values (argument binding, child frames). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  // ---- task messages ----

  /**
   * The wire form of a task message. Properties come from the message; {@code correlation_id}
   * defaults to the task id and {@code expires} is repeated as the AMQP {@code expiration} so the
   * broker drops a message nobody consumed in time.
   */
  public static WireMessage encode(TaskMessage message) {
    TaskHeaders h = message.headers();
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put("lang", h.lang());
    headers.put("task", h.task());
    headers.put("id", h.id());
    headers.put("shadow", h.shadow());
    headers.put("eta", format(h.eta()));
    headers.put("expires", format(h.expires()));
    headers.put("group", h.group());
    headers.put("group_index", h.groupIndex());
    headers.put("retries", h.retries());
    headers.put(
        "timelimit", Arrays.asList(h.timelimit().hardSeconds(), h.timelimit().softSeconds()));
    headers.put("root_id", h.rootId());
    headers.put("parent_id", h.parentId());
    headers.put("argsrepr", h.argsrepr());
    headers.put("kwargsrepr", h.kwargsrepr());
    headers.put("origin", h.origin());
    headers.put("ignore_result", h.ignoreResult());
    if (h.replacedTaskNesting() != null) {
      headers.put("replaced_task_nesting", h.replacedTaskNesting());
    }
    if (h.stampedHeaders() != null) {
      headers.put("stamped_headers", h.stampedHeaders());
    }
    if (h.stamps() != null) {
      headers.put("stamps", h.stamps());
    }
    h.extra().forEach(headers::putIfAbsent);

    Embed e = message.embed();
    Map<String, Object> embed = new LinkedHashMap<>();
    embed.put("callbacks", e.callbacks().isEmpty() ? null : e.callbacks());
    embed.put("errbacks", e.errbacks().isEmpty() ? null : e.errbacks());
    embed.put("chain", e.chain().isEmpty() ? null : e.chain());
    embed.put("chord", e.chord());
    byte[] body = write(Arrays.asList(message.args(), message.kwargs(), embed));
    if (h.extra().get("compression") instanceof String method) {
      // kombu's header: the body is compressed after serializing, and says how.
      String type = Compression.contentType(method);
      headers.put("compression", type);
      body = Compression.compress(type, body);
    }

    MessageProperties p =
        message.properties() != null ? message.properties() : MessageProperties.json(h.id(), null);
    if (p.correlationId() == null) {
      p =
          new MessageProperties(
              p.contentType(),
              p.contentEncoding(),
              h.id(),
              p.replyTo(),
              p.deliveryMode(),
              p.priority(),
              p.expiration());
    }
    if (h.expires() != null) {
      p = p.withExpiration(Long.toString(millisUntil(h.expires())));
    }
    return new WireMessage(p, headers, body);
  }

  /**
   * Reads a protocol v2 task message.
   *
   * @throws MalformedMessageException with a reason fit for one log line: a refused content type, a
   *     missing or mistyped header, a body that is not {@code [args, kwargs, embed]}
   */
  public static TaskMessage decode(WireMessage wire) throws MalformedMessageException {
    MessageProperties p = wire.properties();
    String contentType = p == null ? null : p.contentType();
    if (!MessageProperties.JSON.equalsIgnoreCase(contentType)) {
      throw refused(contentType);
    }
    String encoding = p.contentEncoding();
    if (encoding != null
        && !encoding.equalsIgnoreCase("utf-8")
        && !encoding.equalsIgnoreCase("utf8")) {
      throw new MalformedMessageException(
          "content encoding " + encoding + " refused: only utf-8 is accepted");
    }
    Map<String, Object> raw = wire.headers();
    if (!raw.containsKey("task")) {
      throw new MalformedMessageException(
          "no 'task' header: not a protocol v2 message (protocol v1 is not supported)",
          "NotImplementedError",
          "builtins");
    }
    HeaderReader in = new HeaderReader(raw);
    TaskHeaders headers =
        TaskHeaders.builder(in.requiredString("task"), in.requiredString("id"))
            .lang(in.string("lang"))
            .shadow(in.string("shadow"))
            .eta(in.time("eta"))
            .expires(in.time("expires"))
            .group(in.string("group"))
            .groupIndex(in.natural("group_index"))
            .retries(in.natural("retries") == null ? 0 : in.natural("retries"))
            .timelimit(in.timelimit())
            .rootId(in.string("root_id"))
            .parentId(in.string("parent_id"))
            .argsrepr(in.string("argsrepr"))
            .kwargsrepr(in.string("kwargsrepr"))
            .origin(in.string("origin"))
            .ignoreResult(Boolean.TRUE.equals(in.bool("ignore_result")))
            .replacedTaskNesting(in.natural("replaced_task_nesting"))
            .stampedHeaders(in.stringList("stamped_headers"))
            .stamps(in.map("stamps"))
            .extra(in.extra())
            .build();

    byte[] bytes = wire.body();
    if (raw.get("compression") != null) {
      bytes = Compression.decompress(String.valueOf(raw.get("compression")), bytes, MAX_BODY_BYTES);
    }
    // One pass from the bytes to plain values (lists, LinkedHashMaps, boxed numbers): no String
    // copy of the body, no tree converted afterwards.
    Object parsed = readBody(bytes);
    if (!(parsed instanceof List<?> body) || body.size() < 2 || body.size() > 3) {
      throw new MalformedMessageException(
          "body is not [args, kwargs, embed]: " + abbreviate(parsed));
    }
    if (!(body.get(0) instanceof List<?> argList)) {
      throw new MalformedMessageException("args is not a list: " + abbreviate(body.get(0)));
    }
    if (!(body.get(1) instanceof Map<?, ?> kwargMap)) {
      throw new MalformedMessageException("kwargs is not a dict: " + abbreviate(body.get(1)));
    }
    @SuppressWarnings("unchecked")
    List<Object> args = (List<Object>) argList;
    @SuppressWarnings("unchecked")
    Map<String, Object> kwargs = (Map<String, Object>) kwargMap;
    Embed embed = body.size() == 3 ? embed(body.get(2)) : Embed.EMPTY;
    return new TaskMessage(headers, args, kwargs, embed, p);
  }

  // ---- results ----

  /** Celery's meta dict as JSON bytes, the body of an rpc:// reply and the value of a Redis key. */
  public static byte[] encodeResult(ResultMeta meta) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", meta.status().name());
    m.put("result", meta.result());
    m.put("traceback", meta.traceback());
    m.put("children", meta.children());
    m.put("date_done", format(meta.dateDone()));
    m.put("task_id", meta.taskId());
    meta.extra().forEach(m::putIfAbsent);
    return write(m);
  }

  /** Reads a meta dict; {@code fallbackTaskId} names it when the dict itself does not. */
  public static ResultMeta decodeResult(byte[] json, String fallbackTaskId)
      throws MalformedMessageException {
    Object body = readBody(json);
    if (!(body instanceof Map<?, ?> parsed) || !(parsed.get("status") instanceof String)) {
      throw new MalformedMessageException(
          "result is not a meta dict with a status: " + abbreviate(body));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) parsed;
    TaskState status;
    try {
      status = TaskState.valueOf((String) m.get("status"));
    } catch (IllegalArgumentException e) {
      throw new MalformedMessageException("unknown task state " + m.get("status"));
    }
    String taskId = m.get("task_id") instanceof String s ? s : fallbackTaskId;
    List<Object> children = m.get("children") instanceof List<?> l ? new ArrayList<>(l) : List.of();
    OffsetDateTime done = m.get("date_done") instanceof String s ? parseTime("date_done", s) : null;
    String traceback = m.get("traceback") instanceof String s ? s : null;
    Map<String, Object> extra = new LinkedHashMap<>(m);
    RESULT_FIELDS.forEach(extra::remove);
    return new ResultMeta(taskId, status, m.get("result"), traceback, children, done, extra);
  }

  /**
   * The task id of a message that may not decode: the {@code id} header (protocol 2), else the
   * {@code id} of a JSON protocol 1 body; null when neither can be read.
   */
  public static String taskIdOf(WireMessage wire) {
    if (wire.headers().get("id") instanceof String id) {
      return id;
    }
    MessageProperties p = wire.properties();
    if (p != null && MessageProperties.JSON.equalsIgnoreCase(p.contentType())) {
      try {
        JsonNode id = MAPPER.readTree(wire.body()).path("id");
        return id.isTextual() ? id.asText() : null;
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
    return null;
  }

  /**
   * Milliseconds from now until {@code t}: 0 when past, saturated at {@link #FAR_FUTURE} (an ETA in
   * the year +999999999 overflows a long of milliseconds).
   */
  public static long millisUntil(OffsetDateTime t) {
    OffsetDateTime now = OffsetDateTime.now();
    if (!t.isAfter(now)) {
      return 0;
    }
    if (t.isAfter(now.plus(FAR_FUTURE))) {
      return FAR_FUTURE.toMillis();
    }
    return Duration.between(now, t).toMillis();
  }

  /** kombu's refusal of a serializer it does not trust, in its words. */
  private static MalformedMessageException refused(String contentType) {
    String name =
        switch (contentType == null ? "" : contentType.toLowerCase(java.util.Locale.ROOT)) {
          case "application/x-python-serialize" -> "pickle";
          case "application/x-yaml" -> "yaml";
          case "application/x-msgpack" -> "msgpack";
          default -> contentType == null ? "(none)" : contentType;
        };
    return new MalformedMessageException(
        "Refusing to deserialize untrusted content of type "
            + name
            + " ("
            + contentType
            + "): only application/json is accepted",
        "ContentDisallowed",
        "kombu.exceptions");
  }

  // ---- helpers ----

  private static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not serializable as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * A JSON body as plain values: lists, {@link LinkedHashMap}s (key order kept), strings, boxed
   * numbers (Integer, Long or BigInteger; Double), booleans and nulls. Read straight from the
   * bytes, which must be UTF-8 (kombu decodes them as such too).
   */
  private static Object readBody(byte[] body) throws MalformedMessageException {
    if (isBlank(body)) {
      throw new MalformedMessageException("empty body", "DecodeError", "kombu.exceptions");
    }
    try {
      return VALUES.readValue(body);
    } catch (IOException e) {
      throw new MalformedMessageException(
          "body is not valid JSON: " + firstLine(e.getMessage()),
          "DecodeError",
          "kombu.exceptions");
    }
  }

  private static boolean isBlank(byte[] body) {
    for (byte b : body) {
      if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
        return false;
      }
    }
    return true;
  }

  @SuppressWarnings("unchecked")
  private static Embed embed(Object value) throws MalformedMessageException {
    if (value == null) {
      return Embed.EMPTY;
    }
    if (!(value instanceof Map<?, ?> node)) {
      throw new MalformedMessageException("embed is not a dict: " + abbreviate(value));
    }
    return new Embed(
        signatures(node, "callbacks"),
        signatures(node, "errbacks"),
        signatures(node, "chain"),
        node.get("chord") instanceof Map<?, ?> chord ? (Map<String, Object>) chord : null);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> signatures(Map<?, ?> embed, String field)
      throws MalformedMessageException {
    Object list = embed.get(field);
    if (list == null) {
      return List.of();
    }
    if (!(list instanceof List<?> sigs)) {
      throw new MalformedMessageException("embed." + field + " is not a list");
    }
    List<Map<String, Object>> out = new ArrayList<>(sigs.size());
    for (Object sig : sigs) {
      if (!(sig instanceof Map<?, ?> m)) {
        throw new MalformedMessageException(
            "embed." + field + " holds a non-dict: " + abbreviate(sig));
      }
      out.add((Map<String, Object>) m);
    }
    return out;
  }

  static String format(OffsetDateTime t) {
    return t == null ? null : t.format(ISO);
  }

  /** Celery writes offsets; naive timestamps (older peers, {@code utc=False}) are taken as UTC. */
  static OffsetDateTime parseTime(String name, String text) throws MalformedMessageException {
    try {
      return OffsetDateTime.parse(text);
    } catch (DateTimeParseException e) {
      try {
        return LocalDateTime.parse(text).atOffset(ZoneOffset.UTC);
      } catch (DateTimeParseException e2) {
        throw new MalformedMessageException(
            "header '" + name + "' is not an ISO-8601 time: " + text);
      }
    }
  }

  /** The value as JSON text (what the peer sent), cut to one short line. */
  static String abbreviate(Object value) {
    String s;
    try {
      s = MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException | RuntimeException e) {
      s = String.valueOf(value);
    }
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
