package dev.chervil.worker;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Celery's canvas as carried in messages, continued by the worker once a task is settled:
 *
 * <ul>
 *   <li>success: the chain's next step ({@code chain} is stored reversed: the last element runs
 *       next) gets the result as its first argument and the rest of the chain; then each callback
 *       ({@code link}) gets the result likewise. Immutable signatures get no result.
 *   <li>failure: each errback ({@code link_error}) is sent with the failed task's id as its only
 *       argument — how Celery calls an errback that is not registered in the worker itself.
 * </ul>
 *
 * <p>A signature's frozen options are honoured: {@code task_id} (the caller may already hold its
 * AsyncResult), {@code reply_to}, {@code queue} (else the default queue {@code celery}), {@code
 * group_id}, {@code group_index}, {@code time_limit}, {@code soft_time_limit}.
 */
final class Canvas {
  private static final Logger log = LoggerFactory.getLogger(Canvas.class);
  static final String DEFAULT_QUEUE = "celery";

  private final Transport transport;
  private final Set<String> declared = ConcurrentHashMap.newKeySet();

  Canvas(Transport transport) {
    this.transport = transport;
  }

  void onSuccess(TaskMessage done, Object result) {
    List<Map<String, Object>> chain = done.embed().chain();
    if (!chain.isEmpty()) {
      List<Map<String, Object>> rest = new ArrayList<>(chain.subList(0, chain.size() - 1));
      send(done, chain.getLast(), result, false, rest);
    }
    for (Map<String, Object> callback : done.embed().callbacks()) {
      send(done, callback, result, false, List.of());
    }
  }

  void onFailure(TaskMessage failed) {
    for (Map<String, Object> errback : failed.embed().errbacks()) {
      send(failed, errback, failed.id(), true, List.of());
    }
  }

  /** A chord's body, called with the header's results (in header order) as its first argument. */
  void callChordBody(TaskMessage lastMember, Map<String, Object> body, List<Object> headerResults) {
    send(lastMember, body, headerResults, false, List.of());
  }

  /** A chord that failed: the body's errbacks get the body's id, as Celery's old-style ones do. */
  void onChordFailure(TaskMessage lastMember, Signature body, String bodyId) {
    for (Map<String, Object> errback : body.linked("link_error")) {
      send(lastMember, errback, bodyId, true, List.of());
    }
  }

  private void send(
      TaskMessage parent,
      Map<String, Object> dict,
      Object value,
      boolean onlyValue,
      List<Map<String, Object>> chainRest) {
    try {
      Signature sig = Signature.fromMap(dict);
      List<Object> args = onlyValue ? List.of(value) : sig.argsWith(value);
      TaskMessage next = message(parent, sig, args, chainRest);
      String queue = sig.option("queue") != null ? sig.option("queue") : DEFAULT_QUEUE;
      if (declared.add(queue)) {
        transport.declareQueue(QueueSpec.durable(queue));
      }
      transport.publish("", queue, CeleryJsonCodec.encode(next));
      log.info(
          "event=canvas-sent parent={} task={} name={} queue={}",
          parent.id(),
          next.id(),
          next.task(),
          queue);
    } catch (MalformedMessageException | RuntimeException e) {
      log.error(
          "event=canvas-failed parent={} signature={} reason=\"{}\"",
          parent.id(),
          dict,
          e.toString());
    }
  }

  private static TaskMessage message(
      TaskMessage parent, Signature sig, List<Object> args, List<Map<String, Object>> chainRest) {
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
    Embed embed = new Embed(sig.linked("link"), sig.linked("link_error"), chainRest, null);
    return new TaskMessage(
        headers, args, sig.kwargs(), embed, MessageProperties.json(id, sig.option("reply_to")));
  }

  private static Double number(Signature sig, String key) {
    return sig.options().get(key) instanceof Number n ? n.doubleValue() : null;
  }
}
