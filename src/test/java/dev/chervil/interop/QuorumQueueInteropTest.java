package dev.chervil.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chervil.Chervil;
import dev.chervil.broker.amqp.QueueArguments;
import dev.chervil.broker.amqp.RabbitMqAdmin;
import dev.chervil.client.ChervilClient;
import dev.chervil.client.TaskFailedException;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.task.TaskRegistry;
import dev.chervil.testing.LoggedProblems;
import dev.chervil.testing.Services;
import dev.chervil.worker.Worker;
import dev.chervil.worker.WorkerConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Quorum queues both ways with Python's Celery 5.2 on the real RabbitMQ: the Python side declares
 * {@code Queue(name, queue_arguments={'x-queue-type': 'quorum'})}, the Chervil side {@code
 * --queue-type quorum} (the same arguments), so neither declaration is refused or mismatched, and
 * {@code rabbitmqctl list_queues name type} says {@code quorum}.
 */
class QuorumQueueInteropTest {
  static final Duration WAIT = Duration.ofSeconds(90);
  static final Map<String, Object> QUORUM = QueueArguments.of("quorum", null, null);
  final String queue = "interop.quorum." + UUID.randomUUID();

  @BeforeEach
  void requireServices() {
    Services.requireRabbitMq();
    Services.requirePythonCelery();
  }

  @AfterEach
  void deleteQueue() {
    RabbitMqAdmin.deleteQueuesAndExchanges(queue);
  }

  CeleryPeer quorumPeer() {
    return new CeleryPeer(Services.RABBITMQ_URL, "rpc://", queue).with("PEER_QUEUE_TYPE", "quorum");
  }

  @Test
  void aPythonClientOnAQuorumQueueGetsItsResultsFromAChervilWorker() throws Exception {
    try (LoggedProblems problems = LoggedProblems.watch();
        Worker worker =
            Chervil.worker(
                Services.RABBITMQ_URL,
                "rpc://",
                PoolSpec.of(PoolKind.THREADS, 2),
                new TaskRegistry().register(new InteropTasks()),
                WorkerConfig.defaults().withQueues(List.of(queue)).withQueueArguments(QUORUM))) {
      worker.start();
      assertEquals("quorum", RabbitMqAdmin.queueType(queue), "as the worker declared it");

      // The Python client declares its quorum Queue on its first send: refused if it differed.
      assertEquals(5, quorumPeer().run("add", WAIT).path("result").asInt());
      JsonNode group = quorumPeer().run("group", WAIT);
      assertEquals("[0,2,4,6,8]", group.path("result").toString(), group.toString());
      JsonNode error = quorumPeer().run("error", WAIT);
      assertEquals("IllegalStateException", error.path("error_type").asText(), error.toString());

      assertEquals("quorum", RabbitMqAdmin.queueType(queue));
      assertNoDeclareMismatch(problems);
    }
  }

  @Test
  void aChervilClientOnAQuorumQueueGetsItsResultsFromAPythonWorker() throws Exception {
    Process python = quorumPeer().startWorker(queue);
    try (LoggedProblems problems = LoggedProblems.watch();
        ChervilClient client =
            Chervil.client(Services.RABBITMQ_URL, "rpc://").withQueueArguments(QUORUM)) {
      client.start();
      // The client declares the queue as the Python worker does, whichever comes first; the first
      // call waits for the worker to come up and consume.
      assertEquals(
          2L,
          ((Number) client.task("proj.tasks.add").args(1, 1).queue(queue).send().get(WAIT))
              .longValue());
      for (int i = 0; i < 5; i++) {
        assertEquals(
            2L * i,
            ((Number) client.task("proj.tasks.add").args(i, i).queue(queue).send().get(WAIT))
                .longValue());
      }
      TaskFailedException e =
          assertThrows(
              TaskFailedException.class,
              () ->
                  client
                      .task("proj.tasks.fail")
                      .args("boom on a quorum queue")
                      .queue(queue)
                      .send()
                      .get(WAIT));
      assertEquals("ValueError", e.excType());

      assertEquals("quorum", RabbitMqAdmin.queueType(queue));
      assertNoDeclareMismatch(problems);
    } finally {
      CeleryPeer.kill(python);
    }
  }

  private static void assertNoDeclareMismatch(LoggedProblems problems) {
    assertTrue(
        problems.lines().stream().noneMatch(l -> l.contains("queue-declare-mismatch")),
        () -> problems.lines().toString());
  }
}
