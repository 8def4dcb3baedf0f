package dev.chervil.events;

import dev.chervil.broker.Delivery;
import dev.chervil.broker.Subscription;
import dev.chervil.broker.Transport;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives Celery events from {@code celeryev} (as {@code app.events.Receiver}): a queue of its own
 * bound with {@code #}, consumed without acks; each event is handed on as its JSON map. Events from
 * Python and Java workers alike.
 */
public final class EventReceiver implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventReceiver.class);

  private final Transport transport;
  private final Consumer<Map<String, Object>> handler;
  private final LamportClock clock = new LamportClock();
  private Subscription subscription; // guarded by this

  /** On a started transport, which stays the caller's; {@code handler} runs on its thread. */
  public EventReceiver(Transport transport, Consumer<Map<String, Object>> handler) {
    this.transport = transport;
    this.handler = handler;
  }

  public synchronized void start() {
    if (subscription != null) {
      return;
    }
    transport.declareExchange(EventDispatcher.EXCHANGE);
    String queue = transport.declareReplyQueue();
    transport.bind(queue, EventDispatcher.EXCHANGE.name(), "#");
    subscription = transport.consumeNoAck(queue, this::onEvent);
  }

  private void onEvent(Delivery d) {
    try {
      Map<String, Object> event = JsonMessages.decodeObject(d.message());
      if (event.get("clock") instanceof Number c) {
        clock.adjust(c.longValue());
      }
      handler.accept(event);
    } catch (Exception e) {
      log.warn("event=event-undecodable reason=\"{}\"", e.getMessage());
    }
  }

  @Override
  public synchronized void close() {
    if (subscription != null) {
      subscription.close();
      subscription = null;
    }
  }
}
