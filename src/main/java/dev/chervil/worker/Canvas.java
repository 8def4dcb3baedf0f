package dev.chervil.worker;

import dev.chervil.backend.ResultBackend;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Transport;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.protocol.Embed;
import dev.chervil.protocol.MalformedMessageException;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.Signature;
import dev.chervil.protocol.TaskHeaders;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.protocol.TimeLimit;
import dev.chervil.task.TaskError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Celery's canvas as carried in messages, continued by the worker once a task is settled:
 *
 * <ul>
 *   <li>success: the chain's next step ({@code chain} is stored reversed: the last element runs
 *       next) gets the result as its first argument and the rest of the chain; then each callback
 *       ({@code link}) gets the result likewise. Immutable signatures get no result.
 *   <li>failure: each errback ({@code link_error}) is called as Celery 5.2's {@code
 *       _call_task_errbacks} decides: a task registered in this worker that takes more than one
 *       argument (or varargs) is new-style and gets {@code (request, exc, traceback)} before its
 *       own arguments; any other (Celery's "not registered here, send it on") gets the failed
 *       task's id before its own arguments. An immutable errback gets only its own arguments either
 *       way.
 * </ul>
 *
 * <p>A step may itself be a canvas ({@code subtask_type} group, chain or chord): it is applied as
 * Celery applies it, by publishing its members, never as a message for {@code celery.group}.
 *
 * <p>One class, a little over 300 lines, because {@link #apply} is one recursion: a group's member,
 * a chain's step or a chord's header member may itself be any of the others.
 *
 * <p>A signature's frozen options are honoured: {@code task_id} (the caller may already hold its
 * AsyncResult), {@code reply_to}, {@code queue} (else the default queue {@code celery}), {@code
 * group_id}, {@code group_index}, {@code time_limit}, {@code soft_time_limit}.
 */
final class Canvas {
  private static final Logger log = LoggerFactory.getLogger(Canvas.class);
  static final String DEFAULT_QUEUE = "celery";

  private final Transport transport;
  private final ResultBackend backend;
  private final Predicate<String> newStyleErrback;
  private final Map<String, Object> queueArguments;
  private final Set<String> declared = ConcurrentHashMap.newKeySet();

  /**
   * @param newStyleErrback whether a task name is one this worker calls new-style
   */
  Canvas(Transport transport, ResultBackend backend, Predicate<String> newStyleErrback) {
    this(transport, backend, newStyleErrback, Map.of());
  }

  /**
   * @param queueArguments what every queue a next step goes to is declared with (the worker's own,
   *     as Celery's {@code task_queue_max_priority} applies to every queue it declares), so a
   *     priority queue a Python app declared is met without a declare mismatch
   */
  Canvas(
      Transport transport,
      ResultBackend backend,
      Predicate<String> newStyleErrback,
      Map<String, Object> queueArguments) {
    this.transport = transport;
    this.backend = backend;
    this.newStyleErrback = newStyleErrback;
    this.queueArguments = Map.copyOf(queueArguments);
  }

  /**
   * Celery's test, {@code arity_greater(fn, 1)}: a task registered here with more than one
   * parameter, or varargs, is a new-style errback. Others, including every task this worker does
   * not know, are sent the old way (Celery does the same for tasks not registered in its worker).
   */
  static Predicate<String> newStyleErrbacks(dev.chervil.task.TaskRegistry registry) {
    return name -> registry.find(name).map(t -> t.varArgs() || t.params().size() > 1).orElse(false);
  }

  void onSuccess(TaskMessage done, Object result) {
    List<Map<String, Object>> chain = done.embed().chain();
    if (!chain.isEmpty()) {
      List<Map<String, Object>> rest = new ArrayList<>(chain.subList(0, chain.size() - 1));
      apply(done, chain.getLast(), java.util.Collections.singletonList(result), rest);
    }
    for (Map<String, Object> callback : done.embed().callbacks()) {
      apply(done, callback, java.util.Collections.singletonList(result), List.of());
    }
  }

  void onFailure(TaskMessage failed, TaskError error) {
    callErrbacks(failed, failed.embed().errbacks(), request(failed), error);
  }

  /** A chord's body, called with the header's results (in header order) as its first argument. */
  void callChordBody(TaskMessage lastMember, Map<String, Object> body, Object headerResults) {
    apply(lastMember, body, java.util.Collections.singletonList(headerResults), List.of());
  }

  /** A chord that failed: the body's errbacks, as Celery's {@code chord_error_from_stack}. */
  void onChordFailure(TaskMessage lastMember, Signature body, String bodyId, TaskError error) {
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("id", bodyId);
    request.put("task", body.task());
    request.put("args", body.args());
    request.put("kwargs", body.kwargs());
    callErrbacks(lastMember, body.linked("link_error"), request, error);
  }

  /**
   * Applies {@code dict} with {@code partialArgs} before its own arguments (none if immutable):
   * publishes it, or for a group, chain or chord signature, its members as Celery would.
   */
  void apply(
      TaskMessage parent,
      Map<String, Object> dict,
      List<Object> partialArgs,
      List<Map<String, Object>> chainRest) {
    try {
      Signature sig = Signature.fromMap(dict);
      switch (kind(sig)) {
        case "group" -> applyGroup(parent, sig, partialArgs);
        case "chain" -> applyChain(parent, sig, partialArgs, chainRest);
        case "chord" -> applyChord(parent, sig, partialArgs);
        default ->
            publish(
                parent,
                sig,
                sig.immutable() ? sig.args() : join(partialArgs, sig.args()),
                chainRest,
                null);
      }
    } catch (MalformedMessageException | RuntimeException e) {
      log.error(
          "event=canvas-failed parent={} signature={} reason=\"{}\"",
          parent.id(),
          dict,
          e.toString());
    }
  }

  private void callErrbacks(
      TaskMessage parent,
      List<Map<String, Object>> errbacks,
      Map<String, Object> request,
      TaskError error) {
    for (Map<String, Object> errback : errbacks) {
      Object task = errback.get("task");
      List<Object> partial =
          task instanceof String name && newStyleErrback.test(name)
              ? java.util.Arrays.asList(request, error.toMeta(), error.traceback())
              : java.util.Collections.singletonList(request.get("id"));
      apply(parent, errback, partial, List.of());
    }
  }

  /** The failed request as a new-style errback sees it (Celery passes its Request object). */
  private static Map<String, Object> request(TaskMessage m) {
    TaskHeaders h = m.headers();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("id", m.id());
    r.put("task", m.task());
    r.put("args", m.args());
    r.put("kwargs", m.kwargs());
    r.put("retries", h.retries());
    r.put("root_id", h.rootId());
    r.put("parent_id", h.parentId());
    r.put("group", h.group());
    r.put("group_index", h.groupIndex());
    r.put("origin", h.origin());
    return r;
  }

  private static String kind(Signature sig) {
    if (sig.subtaskType() != null) {
      return sig.subtaskType();
    }
    return switch (sig.task()) {
      case "celery.group" -> "group";
      case "celery.chain" -> "chain";
      case "celery.chord" -> "chord";
      default -> "task";
    };
  }

  /** Celery's group.apply_async(partial): each member gets the partial arguments. */
  private void applyGroup(TaskMessage parent, Signature group, List<Object> partialArgs)
      throws MalformedMessageException {
    List<Map<String, Object>> members = signatures(group.kwargs().get("tasks"), "group tasks");
    String groupId =
        group.option("task_id") != null ? group.option("task_id") : UUID.randomUUID().toString();
    for (int i = 0; i < members.size(); i++) {
      Map<String, Object> member = withGroup(members.get(i), groupId, i, null);
      apply(parent, member, partialArgs, List.of());
    }
  }

  /** The first step gets the partial arguments, the rest run after it, then {@code chainRest}. */
  private void applyChain(
      TaskMessage parent,
      Signature chain,
      List<Object> partialArgs,
      List<Map<String, Object>> chainRest)
      throws MalformedMessageException {
    List<Map<String, Object>> steps = signatures(chain.kwargs().get("tasks"), "chain tasks");
    if (steps.isEmpty()) {
      return;
    }
    List<Map<String, Object>> rest = new ArrayList<>(chainRest);
    for (int i = steps.size() - 1; i >= 1; i--) {
      rest.add(steps.get(i));
    }
    apply(parent, steps.getFirst(), partialArgs, rest);
  }

  /**
   * Celery's chord.apply_async(partial) on a joining backend: the size is written first, then each
   * header member is sent carrying the body, and the worker finishing the last one calls it.
   */
  private void applyChord(TaskMessage parent, Signature chord, List<Object> partialArgs)
      throws MalformedMessageException {
    Object header = chord.kwargs().get("header");
    if (header instanceof Map<?, ?> groupDict && groupDict.get("kwargs") instanceof Map<?, ?> k) {
      header = k.get("tasks"); // a header serialized as a group signature
    }
    List<Map<String, Object>> members = signatures(header, "chord header");
    if (!(chord.kwargs().get("body") instanceof Map<?, ?> bodyDict)) {
      throw new MalformedMessageException("chord without a body: " + chord.kwargs());
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> body = (Map<String, Object>) bodyDict;
    String groupId = null;
    for (Map<String, Object> m : members) {
      if (Signature.fromMap(m).option("group_id") != null) {
        groupId = Signature.fromMap(m).option("group_id");
        break;
      }
    }
    if (groupId == null) {
      groupId = UUID.randomUUID().toString();
    }
    backend.prepareChord(groupId, members.size());
    for (int i = 0; i < members.size(); i++) {
      apply(parent, withGroup(members.get(i), groupId, i, body), partialArgs, List.of());
    }
  }

  /** A member's dict with its group (and chord body) set in its options, as Celery freezes it. */
  private static Map<String, Object> withGroup(
      Map<String, Object> member, String groupId, int index, Map<String, Object> chordBody) {
    Map<String, Object> copy = new LinkedHashMap<>(member);
    Map<String, Object> options = new LinkedHashMap<>();
    if (member.get("options") instanceof Map<?, ?> o) {
      o.forEach((k, v) -> options.put(String.valueOf(k), v));
    }
    options.putIfAbsent("group_id", groupId);
    options.putIfAbsent("group_index", index);
    if (chordBody != null) {
      options.put("chord", chordBody);
    }
    copy.put("options", options);
    return copy;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> signatures(Object value, String what)
      throws MalformedMessageException {
    if (!(value instanceof List<?> list) || !list.stream().allMatch(x -> x instanceof Map)) {
      throw new MalformedMessageException(what + " is not a list of signatures: " + value);
    }
    return (List<Map<String, Object>>) list;
  }

  private static List<Object> join(List<Object> first, List<Object> then) {
    List<Object> all = new ArrayList<>(first.size() + then.size());
    all.addAll(first);
    all.addAll(then);
    return all;
  }

  private void publish(
      TaskMessage parent,
      Signature sig,
      List<Object> args,
      List<Map<String, Object>> chainRest,
      Map<String, Object> chordBody) {
    Object chord = chordBody != null ? chordBody : sig.options().get("chord");
    TaskMessage next =
        message(parent, sig, args, chainRest, chord instanceof Map<?, ?> ? castMap(chord) : null);
    String queue = sig.option("queue") != null ? sig.option("queue") : DEFAULT_QUEUE;
    if (declared.add(queue)) {
      transport.declareQueue(QueueSpec.durable(queue).withArguments(queueArguments));
    }
    transport.publish("", queue, CeleryJsonCodec.encode(next));
    log.info(
        "event=canvas-sent parent={} task={} name={} queue={}",
        parent.id(),
        next.id(),
        next.task(),
        queue);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object o) {
    return (Map<String, Object>) o;
  }

  private static TaskMessage message(
      TaskMessage parent,
      Signature sig,
      List<Object> args,
      List<Map<String, Object>> chainRest,
      Map<String, Object> chord) {
    String id =
        sig.option("task_id") != null ? sig.option("task_id") : UUID.randomUUID().toString();
    TaskHeaders headers =
        TaskHeaders.builder(sig.task(), id)
            .rootId(parent.headers().rootId() != null ? parent.headers().rootId() : parent.id())
            .parentId(parent.id())
            .group(sig.option("group_id"))
            .groupIndex(sig.options().get("group_index") instanceof Number n ? n.intValue() : null)
            .timelimit(new TimeLimit(number(sig, "time_limit"), number(sig, "soft_time_limit")))
            .argsrepr(String.valueOf(args))
            .kwargsrepr(String.valueOf(sig.kwargs()))
            .build();
    Embed embed = new Embed(sig.linked("link"), sig.linked("link_error"), chainRest, chord);
    // Celery sends a signature's priority option as the message's priority (chain steps, links).
    Integer priority = sig.options().get("priority") instanceof Number n ? n.intValue() : null;
    return new TaskMessage(
        headers,
        args,
        sig.kwargs(),
        embed,
        MessageProperties.json(id, sig.option("reply_to")).withPriority(priority));
  }

  private static Double number(Signature sig, String key) {
    return sig.options().get(key) instanceof Number n ? n.doubleValue() : null;
  }
}
