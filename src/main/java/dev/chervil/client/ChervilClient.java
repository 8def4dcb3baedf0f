package dev.chervil.client;

import dev.chervil.backend.ResultBackend;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.Transport;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.protocol.TaskMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

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
  private volatile boolean started;
  private volatile String deadLetterExchange;

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
    if (!started) {
      throw new IllegalStateException(
          "client not started: call start() before sending " + message.task());
    }
    if (declared.add(queue)) {
      transport.declareQueue(new QueueSpec(queue, true, deadLetterExchange));
    }
    transport.publish("", queue, CeleryJsonCodec.encode(message));
    return new AsyncResult(message.id(), backend);
  }

  /**
   * The result of a task sent earlier by its id. With rpc:// only tasks sent by this client can be
   * awaited, because their replies come to this client's own reply queue.
   */
  public AsyncResult result(String taskId) {
    return new AsyncResult(taskId, backend);
  }

  /** The {@code reply_to} results must be routed to, or null when the backend needs none. */
  String replyTo() {
    return backend.replyTo();
  }

  @Override
  public synchronized void close() {
    backend.close();
    transport.close();
  }
}
