package dev.chervil.client;

import dev.chervil.backend.ResultBackend;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Transport;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.protocol.WireMessage;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Sends tasks and waits for their results, like Celery's {@code app.send_task}. Owns its transport
 * and backend: {@link #start()} opens them, {@link #close()} closes them; both idempotent.
 *
 * <pre>{@code
 * try (ChervilClient client = new ChervilClient(transport, backend)) {
 *   client.start();
 *   Object sum = client.task("proj.tasks.add").args(2, 3).queue("reports").send()
 *       .get(Duration.ofSeconds(10));
 * }
 * }</pre>
 */
public final class ChervilClient implements AutoCloseable {
  private final Transport transport;
  private final ResultBackend backend;
  private final Set<String> declared = ConcurrentHashMap.newKeySet();
  // sendAsync's futures complete here, off the connection thread that reads the confirms
  private final ExecutorService callbacks = Executors.newVirtualThreadPerTaskExecutor();
  private volatile boolean started;
  private volatile String deadLetterExchange;
  private volatile Map<String, Object> queueArguments = Map.of();
  private volatile dev.chervil.events.EventDispatcher sentEvents; // null: no task-sent events
  private dev.chervil.control.Mailbox mailbox; // guarded by this; created on first use

  public ChervilClient(Transport transport, ResultBackend backend) {
    this.transport = transport;
    this.backend = backend;
  }

  /**
   * Declares queues with this dead-letter exchange, as the worker does with the same option: the
   * broker refuses a second declaration of a queue with different arguments, so both sides must
   * agree (Celery's answer is the same: one {@code task_queues} setting shared by both).
   */
  public ChervilClient withDeadLetterExchange(String exchange) {
    this.deadLetterExchange = exchange;
    return this;
  }

  /**
   * Declares queues with these broker arguments ({@code x-max-priority}, {@code x-queue-type}; see
   * {@code QueueArguments}), as the worker does with its {@code queueArguments}: on a queue a
   * Python app declared with Celery's priority recipe, the same {@code x-max-priority} it has. A
   * queue that exists with other arguments is still used as it is, with a warning naming the
   * argument.
   */
  public ChervilClient withQueueArguments(Map<String, Object> arguments) {
    this.queueArguments = Map.copyOf(arguments);
    return this;
  }

  /**
   * Sends a {@code task-sent} event for each task, as Celery's {@code task_send_sent_event} does
   * (off by default there too).
   */
  public ChervilClient withSentEvents(boolean on) {
    this.sentEvents =
        on
            ? new dev.chervil.events.EventDispatcher(
                transport,
                dev.chervil.control.NodeName.expand("chervil-client@%h"),
                new dev.chervil.events.LamportClock(),
                true)
            : null;
    return this;
  }

  /**
   * Celery's {@code app.control}: revoke, rate_limit, time_limit, shutdown, ... sent to every
   * worker (Java or Python) on this broker; replies are awaited 1 s unless {@link
   * dev.chervil.control.Control#timeout} says otherwise.
   */
  public dev.chervil.control.Control control() {
    return new dev.chervil.control.Control(mailbox(), null, java.time.Duration.ofSeconds(1));
  }

  /** Celery's {@code app.control.inspect()}: ping, stats, active, registered, ... */
  public dev.chervil.control.Inspect inspect() {
    return control().inspect();
  }

  private synchronized dev.chervil.control.Mailbox mailbox() {
    if (!started) {
      throw new IllegalStateException("client not started: call start() before remote control");
    }
    if (mailbox == null) {
      mailbox = new dev.chervil.control.Mailbox(transport);
    }
    return mailbox;
  }

  public synchronized void start() {
    if (started) {
      return;
    }
    transport.start();
    backend.start();
    started = true;
  }

  /** Starts composing a call of {@code taskName}; finish it with {@link TaskCall#send()}. */
  public TaskCall task(String taskName) {
    return new TaskCall(this, taskName);
  }

  /**
   * Sends a chain: {@code first} runs, then each next step with the previous step's result as its
   * first argument. Returns the last step's result.
   */
  public AsyncResult chain(TaskCall first, TaskCall... next) {
    first.chain(List.of(next));
    send(first.message(), first.queue());
    return new AsyncResult(next.length == 0 ? first.id() : next[next.length - 1].id(), backend);
  }

  /**
   * Sends a group: every member carries the same group id and its own index, as Celery's {@code
   * group(...)} does. Returns the members' results in order.
   */
  public List<AsyncResult> group(TaskCall... members) {
    String groupId = UUID.randomUUID().toString();
    List<AsyncResult> results = new ArrayList<>();
    for (int i = 0; i < members.length; i++) {
      results.add(members[i].inGroup(groupId, i, null).send());
    }
    return results;
  }

  /**
   * Sends a chord: the header runs as a group, then {@code body} with the list of their results as
   * its first argument. The worker that finishes the last header task calls the body, joining
   * through the result backend as Celery does, so this needs redis://. Returns the body's result.
   *
   * @throws UnsupportedOperationException with a backend that cannot join a chord (rpc://)
   */
  public AsyncResult chord(List<TaskCall> header, TaskCall body) {
    String groupId = UUID.randomUUID().toString();
    backend.prepareChord(groupId, header.size());
    Map<String, Object> bodySignature = body.signature().toMap();
    for (int i = 0; i < header.size(); i++) {
      header.get(i).inGroup(groupId, i, bodySignature).send();
    }
    return new AsyncResult(body.id(), backend);
  }

  /** Publishes a ready message to {@code queue} (declared on first use) and returns its result. */
  public AsyncResult send(TaskMessage message, String queue) {
    return send(message, queue, false);
  }

  /**
   * As {@link #send(TaskMessage, String)}; with {@code brokerDelay} a message whose ETA is in the
   * future travels through the broker's delayed delivery (RabbitMQ, Celery 5.5's topology), so no
   * worker holds it unacked until then. Where the broker cannot delay it is sent as usual. Returns
   * once the broker has taken the message (a publisher confirm on AMQP).
   */
  public AsyncResult send(TaskMessage message, String queue, boolean brokerDelay) {
    WireMessage wire = wire(message, queue);
    if (!publishedDelayed(message, queue, wire, brokerDelay)) {
      transport.publish("", queue, wire);
    }
    return sent(message, queue);
  }

  /**
   * As {@link #send(TaskMessage, String, boolean)}, without waiting for the broker: the future
   * completes with the result once the broker has taken the message, and fails with a {@link
   * dev.chervil.broker.TransportException} (naming the task id) on a nack, a lost channel or no
   * confirm in the transport's confirm timeout. Any number may be outstanding, so one thread sends
   * at the rate of the connection, not one confirm round trip per message. The future completes on
   * a virtual thread of this client's, never on the broker connection's, so what is chained on it
   * may block. (A broker-delayed message is still published before this returns.)
   */
  public CompletableFuture<AsyncResult> sendAsync(
      TaskMessage message, String queue, boolean brokerDelay) {
    WireMessage wire = wire(message, queue);
    CompletableFuture<Void> stored =
        publishedDelayed(message, queue, wire, brokerDelay)
            ? CompletableFuture.completedFuture(null)
            : transport.publishAsync("", queue, wire);
    return stored.handleAsync(
        (ok, failed) -> {
          if (failed != null) {
            throw failed instanceof RuntimeException r ? r : new CompletionException(failed);
          }
          return sent(message, queue);
        },
        callbacks);
  }

  /** The message on the wire, its queue declared on first use. */
  private WireMessage wire(TaskMessage message, String queue) {
    if (!started) {
      throw new IllegalStateException(
          "client not started: call start() before sending " + message.task());
    }
    if (declared.add(queue)) {
      transport.declareQueue(
          new QueueSpec(queue, true, deadLetterExchange).withArguments(queueArguments));
    }
    return CeleryJsonCodec.encode(message);
  }

  /**
   * With {@code brokerDelay}, publishes a message whose ETA is a second or more away through the
   * broker's delayed delivery, where the broker has it, and says whether it did.
   */
  private boolean publishedDelayed(
      TaskMessage message, String queue, WireMessage wire, boolean brokerDelay) {
    OffsetDateTime eta = message.headers().eta();
    if (!brokerDelay || eta == null || !transport.supportsDelayedDelivery()) {
      return false;
    }
    Duration delay = Duration.between(OffsetDateTime.now(), eta);
    if (delay.toSeconds() < 1) {
      return false;
    }
    transport.publishDelayed(delay, queue, wire);
    return true;
  }

  /** After the broker took {@code message}: its task-sent event, if on, and its result. */
  private AsyncResult sent(TaskMessage message, String queue) {
    dev.chervil.events.EventDispatcher events = sentEvents;
    if (events != null) {
      events.send("task-sent", sentFields(message, queue));
    }
    return new AsyncResult(message.id(), backend);
  }

  /**
   * The result of a task sent earlier by its id. With rpc:// only tasks sent by this client can be
   * awaited, because their replies come to this client's own reply queue.
   */
  public AsyncResult result(String taskId) {
    return new AsyncResult(taskId, backend);
  }

  /** Celery's task-sent fields (celery/app/amqp.py send_task_message). */
  private static Map<String, Object> sentFields(TaskMessage m, String queue) {
    Map<String, Object> f = new java.util.LinkedHashMap<>();
    f.put("uuid", m.id());
    f.put("root_id", m.headers().rootId());
    f.put("parent_id", m.headers().parentId());
    f.put("name", m.task());
    f.put("args", dev.chervil.events.PyRepr.of(m.args()));
    f.put("kwargs", dev.chervil.events.PyRepr.of(m.kwargs()));
    f.put("retries", m.headers().retries());
    f.put("eta", m.headers().eta() == null ? null : m.headers().eta().toString());
    f.put("expires", m.headers().expires() == null ? null : m.headers().expires().toString());
    f.put("queue", queue);
    f.put("exchange", "");
    f.put("routing_key", queue);
    return f;
  }

  /** The {@code reply_to} results must be routed to, or null when the backend needs none. */
  String replyTo() {
    return backend.replyTo();
  }

  @Override
  public synchronized void close() {
    if (mailbox != null) {
      mailbox.close();
    }
    if (sentEvents != null) {
      sentEvents.close();
    }
    backend.close();
    transport.close(); // fails what is still unconfirmed, through callbacks
    callbacks.close();
  }
}
