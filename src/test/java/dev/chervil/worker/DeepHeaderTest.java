package dev.chervil.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.chervil.Chervil;
import dev.chervil.client.ChervilClient;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.testing.LoggedProblems;
import dev.chervil.testing.OwnRabbitMq;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A header nested as deep as one AMQP frame allows, published raw to a RabbitMQ node of this test's
 * own: amqp-client parses it recursively on the connection's main-loop thread, which used to
 * overflow there, kill the connection and get the message again after recovery, forever. Now the
 * thread has the stack for it, Chervil refuses the message by its nesting (rejected without
 * requeue, logged with its task id), the connection stays up and the next task runs.
 */
class DeepHeaderTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration PARSE_WAIT = Duration.ofSeconds(180);
  // frame_max is 128 KiB and a content header must fit one frame: a nested array costs 5 bytes a
  // level ('A' and a length), a table with an empty key 6, so about 26,000 and 21,800 levels are
  // the most one frame holds; 100,000 cannot be sent at all.
  private static final int DEPTH = 20_000;
  private static OwnRabbitMq node;

  private final TestTasks tasks = new TestTasks();
  private final String queue = "chervil-test-deep-" + UUID.randomUUID();
  private Worker worker;
  private ChervilClient client;
  private LoggedProblems problems;

  @BeforeAll
  static void startNode() {
    node = OwnRabbitMq.start();
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @BeforeEach
  void start() {
    problems = LoggedProblems.watch();
    worker =
        Chervil.worker(
            node.url(),
            "disabled",
            PoolSpec.of(PoolKind.THREADS, 2),
            tasks.registry(),
            WorkerConfig.defaults().withQueues(List.of(queue)));
    worker.start();
    client = Chervil.client(node.url(), "disabled");
    client.start();
  }

  @AfterEach
  void stop() {
    client.close();
    worker.close();
    problems.close();
  }

  @Test
  void aTwentyThousandDeepHeaderIsRejectedTheConnectionStaysUpAndTheNextTaskRuns()
      throws Exception {
    // One message: a table, the shape of AMQP headers. Nested arrays recurse through the same
    // reader (ValueReader.readFieldValue) on the same thread, and each such message costs tens of
    // seconds of quadratic parsing, so a second one would only lengthen the suite.
    String tables = "deep-tables-" + UUID.randomUUID();
    publishRaw(tables, nestedTable(DEPTH));
    client.task("test.record").args("after", 0).queue(queue).ignoreResult(true).send();

    // amqp-client's parse of such a header is quadratic in its depth (each level reads through
    // every enclosing TruncatedInputStream): seconds to tens of seconds on a busy machine.
    await().atMost(PARSE_WAIT).until(() -> tasks.runStarts.containsKey("after"));
    assertTrue(
        problems.lines().stream()
            .anyMatch(
                l ->
                    l.contains("event=message-rejected")
                        && l.contains("taskId=" + tables)
                        && l.contains("nested deeper than 1000 levels")),
        () -> tables + " rejected with its id and the reason: " + problems.lines());
    // Rejected without requeue: not waiting, not held, never run; and no reconnect loop.
    await().during(Duration.ofSeconds(2)).atMost(WAIT).until(() -> queueStats().equals("0\t0"));
    assertTrue(!tasks.runStarts.containsKey(tables));
    assertEquals(
        List.of(),
        problems.lines().stream()
            .filter(l -> l.contains("connection-lost") || l.contains("StackOverflowError"))
            .toList(),
        "the worker's connection was never lost");
  }

  /** Publishes a Celery protocol 2 message for test.record with a header {@code deep}. */
  private void publishRaw(String id, Object deep) throws Exception {
    Map<String, Object> headers = new HashMap<>();
    headers.put("lang", "py");
    headers.put("task", "test.record");
    headers.put("id", id);
    headers.put("root_id", id);
    headers.put("retries", 0);
    headers.put("timelimit", Arrays.asList(null, null));
    headers.put("deep", deep);
    AMQP.BasicProperties props =
        new AMQP.BasicProperties.Builder()
            .contentType("application/json")
            .contentEncoding("utf-8")
            .correlationId(id)
            .headers(headers)
            .build();
    byte[] body =
        ("[[\""
                + id
                + "\", 0], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null,"
                + " \"chord\": null}]")
            .getBytes(StandardCharsets.UTF_8);
    ConnectionFactory f = new ConnectionFactory();
    f.setHost("127.0.0.1");
    f.setPort(node.port()); // guest/guest on vhost /, amqp-client's defaults
    // amqp-client writes (and sizes) the table recursively too: publish from a thread with room.
    CompletableFuture<Void> sent = new CompletableFuture<>();
    new Thread(
            null,
            () -> {
              try (Connection c = f.newConnection("deep-header-publisher");
                  Channel ch = c.createChannel()) {
                ch.confirmSelect();
                ch.basicPublish("", queue, props, body);
                ch.waitForConfirmsOrDie(10_000);
                sent.complete(null);
              } catch (Exception | Error e) {
                sent.completeExceptionally(e);
              }
            },
            "deep-header-publisher",
            256L << 20)
        .start();
    sent.get();
  }

  private static Object nestedTable(int depth) {
    Object v = Map.of();
    for (int i = 1; i < depth; i++) {
      v = Map.of("", v);
    }
    return v;
  }

  /** messages_ready, messages_unacknowledged of the test's queue. */
  private String queueStats() {
    return node
        .rabbitmqctl("-q", "list_queues", "name", "messages_ready", "messages_unacknowledged")
        .stream()
        .filter(l -> l.startsWith(queue + "\t"))
        .map(l -> l.substring(queue.length() + 1))
        .findFirst()
        .orElse("missing");
  }
}
