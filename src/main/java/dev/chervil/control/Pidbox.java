package dev.chervil.control;

import dev.chervil.broker.Delivery;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Subscription;
import dev.chervil.broker.Transport;
import dev.chervil.events.JsonMessages;
import dev.chervil.events.LamportClock;
import dev.chervil.threads.Watchdog;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's mailbox, wire-compatible with kombu's pidbox {@code Node}: consumes {@code
 * <node>.celery.pidbox} (no ack, auto-delete, 300 s message TTL, 10 s expiry) bound to the fanout
 * {@code celery.pidbox}; runs each request meant for this node and, when it has a {@code reply_to},
 * publishes {@code {node: reply}} to the reply exchange with the request's routing key and {@code
 * ticket}.
 *
 * <p>Commands run one at a time on a thread of their own, never on the transport's thread: {@code
 * shutdown} closes the transport and a terminate waits for a kill.
 */
public final class Pidbox implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Pidbox.class);

  private final Transport transport;
  private final String node;
  private final LamportClock clock;
  private final ControlCommands commands;
  private final java.util.concurrent.ThreadPoolExecutor runner =
      new java.util.concurrent.ThreadPoolExecutor(
          1,
          1,
          0,
          TimeUnit.MILLISECONDS,
          new java.util.concurrent.LinkedBlockingQueue<>(),
          Watchdog.threads("chervil-pidbox"));
  private Subscription subscription; // guarded by this

  public Pidbox(Transport transport, String node, LamportClock clock, ControlCommands commands) {
    this.transport = transport;
    this.node = node;
    this.clock = clock;
    this.commands = commands;
  }

  public synchronized void start() {
    if (subscription != null) {
      return;
    }
    runner.prestartCoreThread(); // now, so a census baseline taken after start counts it
    String queue = PidboxNames.nodeQueue(node);
    transport.declareExchange(PidboxNames.EXCHANGE);
    transport.declareExchange(PidboxNames.REPLY_EXCHANGE);
    transport.declareQueue(
        new QueueSpec(queue, false, null, PidboxNames.QUEUE_ARGUMENTS, false, true));
    transport.bind(queue, PidboxNames.EXCHANGE.name(), "");
    subscription = transport.consumeNoAck(queue, this::onMessage);
    log.info("event=pidbox-started node={} queue={}", node, queue);
  }

  @Override
  public void close() {
    Subscription s;
    synchronized (this) {
      s = subscription;
      subscription = null;
    }
    if (s != null) {
      s.close();
    }
    runner.shutdown();
    try {
      runner.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void onMessage(Delivery delivery) {
    Map<String, Object> body;
    try {
      body = JsonMessages.decodeObject(delivery.message());
    } catch (Exception e) {
      log.warn("event=pidbox-undecodable node={} reason=\"{}\"", node, e.getMessage());
      return;
    }
    Map<String, Object> headers = delivery.message().headers();
    if (headers.get("clock") instanceof Number c) {
      clock.adjust(c.longValue());
    } else {
      clock.forward(); // Celery too: clients often send no clock
    }
    if (headers.get("expires") instanceof Number expires
        && expires.doubleValue() > 0
        && System.currentTimeMillis() / 1000.0 > expires.doubleValue()) {
      log.debug("event=pidbox-expired node={} method={}", node, body.get("method"));
      return;
    }
    if (!forMe(body)) {
      return;
    }
    try {
      runner.execute(() -> dispatch(body));
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      log.debug("event=pidbox-closing node={} method={}", node, body.get("method"));
    }
  }

  private boolean forMe(Map<String, Object> body) {
    Object destination = body.get("destination");
    if (destination instanceof Collection<?> nodes && !nodes.isEmpty()) {
      return nodes.contains(node);
    }
    if (body.get("pattern") instanceof String pattern
        && body.get("matcher") instanceof String matcher) {
      return PidboxNames.matches(node, pattern, matcher);
    }
    return true;
  }

  @SuppressWarnings("unchecked")
  private void dispatch(Map<String, Object> body) {
    String method = String.valueOf(body.get("method"));
    Map<String, Object> arguments =
        body.get("arguments") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    log.debug("event=pidbox-command node={} method={} arguments={}", node, method, arguments);
    Object reply = commands.handle(method, arguments);
    if (body.get("reply_to") instanceof Map<?, ?> replyTo) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put(node, reply);
      Map<String, Object> headers = new LinkedHashMap<>();
      headers.put("ticket", body.get("ticket"));
      headers.put("clock", clock.forward());
      Object exchange = replyTo.get("exchange");
      try {
        transport.publish(
            exchange == null ? PidboxNames.REPLY_EXCHANGE.name() : exchange.toString(),
            String.valueOf(replyTo.get("routing_key")),
            JsonMessages.transientJson(headers, out));
      } catch (RuntimeException e) {
        log.warn(
            "event=pidbox-reply-failed node={} method={} reason=\"{}\"",
            node,
            method,
            e.toString());
      }
    }
  }
}
