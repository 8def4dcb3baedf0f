package dev.chervil.control;

import dev.chervil.broker.Delivery;
import dev.chervil.broker.Subscription;
import dev.chervil.broker.Transport;
import dev.chervil.events.JsonMessages;
import dev.chervil.events.LamportClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of kombu's pidbox ({@code Mailbox._broadcast}/{@code _collect}): publishes a
 * request to the fanout {@code celery.pidbox} and gathers {@code {node: reply}} answers with its
 * ticket from a reply queue of its own, bound to {@code reply.celery.pidbox}. Python and Java
 * workers both answer it.
 *
 * <p>Lifecycle: the reply queue is declared on the first call; {@link #close()} stops consuming
 * (the queue is exclusive and auto-delete, so it goes with the connection). Thread-safe.
 */
public final class Mailbox implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Mailbox.class);

  private final Transport transport;
  private final LamportClock clock = new LamportClock();
  private final Map<String, BlockingQueue<Map<String, Object>>> waiting = new ConcurrentHashMap<>();
  private String replyQueue; // guarded by this
  private Subscription replies; // guarded by this

  /** On a started transport, which stays the caller's. */
  public Mailbox(Transport transport) {
    this.transport = transport;
  }

  /**
   * Sends {@code method} and waits up to {@code timeout} for replies: until {@code limit} nodes
   * answered (or {@code destination}'s size), or the timeout after the last one.
   *
   * @param destination node names, or null for every node
   * @return each reply as {@code {node: result}}, in arrival order
   */
  public List<Map<String, Object>> call(
      String method,
      Map<String, Object> arguments,
      List<String> destination,
      Duration timeout,
      Integer limit) {
    String ticket = UUID.randomUUID().toString();
    BlockingQueue<Map<String, Object>> inbox = new LinkedBlockingQueue<>();
    waiting.put(ticket, inbox);
    try {
      publish(method, arguments, destination, timeout, ticket, replyQueue());
      int max =
          limit != null ? limit : destination != null ? destination.size() : Integer.MAX_VALUE;
      List<Map<String, Object>> out = new ArrayList<>();
      while (out.size() < max) {
        Map<String, Object> reply = inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (reply == null) {
          break; // kombu: stop at the first timeout with no reply
        }
        out.add(reply);
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    } finally {
      waiting.remove(ticket);
    }
  }

  /** Sends {@code method} without waiting for replies (kombu's cast). */
  public void cast(String method, Map<String, Object> arguments, List<String> destination) {
    publish(method, arguments, destination, null, null, null);
  }

  @Override
  public synchronized void close() {
    if (replies != null) {
      replies.close();
      replies = null;
    }
  }

  private void publish(
      String method,
      Map<String, Object> arguments,
      List<String> destination,
      Duration timeout,
      String ticket,
      String replyRoutingKey) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("method", method);
    body.put("arguments", arguments == null ? Map.of() : arguments);
    body.put("destination", destination);
    body.put("pattern", null);
    body.put("matcher", null);
    if (ticket != null) {
      body.put("ticket", ticket);
      body.put(
          "reply_to",
          Map.of("exchange", PidboxNames.REPLY_EXCHANGE.name(), "routing_key", replyRoutingKey));
    }
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put("clock", clock.forward());
    headers.put(
        "expires",
        timeout == null ? 0 : System.currentTimeMillis() / 1000.0 + timeout.toMillis() / 1000.0);
    transport.declareExchange(PidboxNames.EXCHANGE);
    transport.publish(PidboxNames.EXCHANGE.name(), "", JsonMessages.transientJson(headers, body));
  }

  private synchronized String replyQueue() {
    if (replyQueue == null) {
      transport.declareExchange(PidboxNames.REPLY_EXCHANGE);
      String q = transport.declareReplyQueue();
      transport.bind(q, PidboxNames.REPLY_EXCHANGE.name(), q);
      replies = transport.consumeNoAck(q, this::onReply);
      replyQueue = q;
    }
    return replyQueue;
  }

  private void onReply(Delivery delivery) {
    Map<String, Object> headers = delivery.message().headers();
    if (headers.get("clock") instanceof Number c) {
      clock.adjust(c.longValue());
    }
    Object ticket = headers.get("ticket");
    BlockingQueue<Map<String, Object>> inbox =
        ticket == null ? null : waiting.get(ticket.toString());
    if (inbox == null) {
      log.debug("event=pidbox-reply-unclaimed ticket={}", ticket);
      return;
    }
    try {
      inbox.add(JsonMessages.decodeObject(delivery.message()));
    } catch (Exception e) {
      log.warn("event=pidbox-reply-undecodable ticket={} reason=\"{}\"", ticket, e.getMessage());
    }
  }
}
