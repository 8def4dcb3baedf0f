package dev.chervil.client;

import dev.chervil.protocol.Compression;
import dev.chervil.protocol.Embed;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.Signature;
import dev.chervil.protocol.TaskHeaders;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.protocol.TimeLimit;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/** One call being composed: Celery's {@code apply_async} options as methods. Not thread-safe. */
public final class TaskCall {
  private final ChervilClient client;
  private final String name;
  private final String id =
      UUID.randomUUID().toString(); // frozen now, as Celery freezes a signature
  private final List<Map<String, Object>> links = new ArrayList<>();
  private final List<Map<String, Object>> errorLinks = new ArrayList<>();
  private List<Map<String, Object>> chain = List.of();
  private Map<String, Object> chordBody;
  private String groupId;
  private Integer groupIndex;
  private List<Object> args = List.of();
  private Map<String, Object> kwargs = Map.of();
  private String queue = "celery";
  private OffsetDateTime eta;
  private OffsetDateTime expires;
  private Double softSeconds;
  private Double hardSeconds;
  private boolean ignoreResult;
  private Integer priority;
  private String compression;
  private boolean brokerDelay;

  TaskCall(ChervilClient client, String name) {
    this.client = client;
    this.name = name;
  }

  public TaskCall args(Object... values) {
    args = Arrays.asList(values);
    return this;
  }

  public TaskCall args(List<Object> values) {
    args = values;
    return this;
  }

  public TaskCall kwargs(Map<String, Object> values) {
    kwargs = new LinkedHashMap<>(values);
    return this;
  }

  public TaskCall queue(String q) {
    queue = q;
    return this;
  }

  public TaskCall countdown(Duration d) {
    eta = now().plus(d);
    return this;
  }

  public TaskCall eta(OffsetDateTime at) {
    eta = at;
    return this;
  }

  /**
   * Sends a countdown/ETA through the broker's delayed delivery (RabbitMQ; Celery 5.5's native
   * delayed delivery) instead of to the queue at once, so no worker holds it unacked meanwhile.
   */
  public TaskCall brokerDelay() {
    brokerDelay = true;
    return this;
  }

  public TaskCall expires(Duration d) {
    expires = now().plus(d);
    return this;
  }

  public TaskCall expires(OffsetDateTime at) {
    expires = at;
    return this;
  }

  /** Per-call limits in seconds; null leaves the task's or worker's default. */
  public TaskCall timeLimits(Double softSecondsLimit, Double hardSecondsLimit) {
    softSeconds = softSecondsLimit;
    hardSeconds = hardSecondsLimit;
    return this;
  }

  /** Runs {@code callback} with this task's result as its first argument when it succeeds. */
  public TaskCall link(TaskCall callback) {
    links.add(callback.signature().toMap());
    return this;
  }

  /** Runs {@code errback} with this task's id as its only argument when it fails. */
  public TaskCall linkError(TaskCall errback) {
    errorLinks.add(errback.signature().toMap());
    return this;
  }

  /**
   * The steps that run after this one, each getting the previous result (see ChervilClient#chain).
   */
  TaskCall chain(List<TaskCall> next) {
    List<Map<String, Object>> reversed = new ArrayList<>();
    for (int i = next.size() - 1; i >= 0; i--) {
      reversed.add(next.get(i).signature().toMap());
    }
    chain = reversed;
    return this;
  }

  /** Makes this call member {@code index} of group {@code id} (see ChervilClient#group). */
  TaskCall inGroup(String id, int index, Map<String, Object> chord) {
    groupId = id;
    groupIndex = index;
    chordBody = chord;
    return this;
  }

  /** This call as a Celery signature, its id, reply route and queue frozen in its options. */
  public Signature signature() {
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("task_id", id);
    options.put("queue", queue);
    if (client.replyTo() != null && !ignoreResult) {
      options.put("reply_to", client.replyTo());
    }
    if (softSeconds != null) {
      options.put("soft_time_limit", softSeconds);
    }
    if (hardSeconds != null) {
      options.put("time_limit", hardSeconds);
    }
    if (!links.isEmpty()) {
      options.put("link", links);
    }
    if (!errorLinks.isEmpty()) {
      options.put("link_error", errorLinks);
    }
    return new Signature(name, args, kwargs, options, false, null);
  }

  public String id() {
    return id;
  }

  String queue() {
    return queue;
  }

  /**
   * The message's AMQP priority (Celery's {@code priority=}): on a queue declared with {@code
   * x-max-priority} higher values are delivered first; elsewhere it is ignored by the broker.
   */
  public TaskCall priority(int p) {
    if (p < 0 || p > 255) {
      throw new IllegalArgumentException("priority must be between 0 and 255, was " + p);
    }
    priority = p;
    return this;
  }

  /**
   * Compresses the body as kombu does ({@code apply_async(compression=...)}): {@code gzip}/{@code
   * zlib}, {@code bzip2} or {@code lzma}/{@code xz}; Python and Java workers both read it.
   *
   * @throws IllegalArgumentException for a method kombu would not know
   */
  public TaskCall compression(String method) {
    compression = method == null ? null : Compression.contentType(method);
    return this;
  }

  public TaskCall ignoreResult(boolean v) {
    ignoreResult = v;
    return this;
  }

  /** Builds the message (its uuid4 task id, root id = id) without sending it. */
  public TaskMessage message() {
    TaskHeaders headers =
        TaskHeaders.builder(name, id)
            .rootId(id)
            .group(groupId)
            .groupIndex(groupIndex)
            .eta(eta)
            .expires(expires)
            .timelimit(new TimeLimit(hardSeconds, softSeconds))
            .ignoreResult(ignoreResult)
            .argsrepr(String.valueOf(args))
            .kwargsrepr(String.valueOf(kwargs))
            .origin("java@" + ProcessHandle.current().pid())
            .extra(compression == null ? null : Map.of("compression", compression))
            .build();
    return new TaskMessage(
        headers, args, kwargs, new Embed(links, errorLinks, chain, chordBody), properties());
  }

  private MessageProperties properties() {
    MessageProperties json = MessageProperties.json(id, ignoreResult ? null : client.replyTo());
    return priority == null
        ? json
        : new MessageProperties(
            json.contentType(),
            json.contentEncoding(),
            json.correlationId(),
            json.replyTo(),
            json.deliveryMode(),
            priority,
            json.expiration());
  }

  /** Publishes the call and returns once the broker has taken it. */
  public AsyncResult send() {
    return client.send(message(), queue, brokerDelay);
  }

  /** Publishes the call without waiting for the broker: see {@link ChervilClient#sendAsync}. */
  public CompletableFuture<AsyncResult> sendAsync() {
    return client.sendAsync(message(), queue, brokerDelay);
  }

  private static OffsetDateTime now() {
    return OffsetDateTime.now(ZoneOffset.UTC);
  }
}
