package dev.chervil.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.Chervil;
import dev.chervil.broker.Delivery;
import dev.chervil.broker.Transport;
import dev.chervil.broker.Transports;
import dev.chervil.broker.amqp.QueueArguments;
import dev.chervil.broker.amqp.RabbitMqAdmin;
import dev.chervil.census.Census;
import dev.chervil.census.CensusBaseline;
import dev.chervil.client.ChervilClient;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.pool.process.ProcessPool;
import dev.chervil.testing.CensusAssertions;
import dev.chervil.testing.LoggedProblems;
import dev.chervil.testing.Services;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A message whose task kills its child JVM every time, on a real worker (process pool, acks late +
 * reject_on_worker_lost) consuming a quorum queue with a delivery limit and a dead-letter exchange
 * on the real RabbitMQ: each loss is a requeue the broker counts, and past the limit the message is
 * dead-lettered, with a log line saying so, instead of killing children forever.
 */
class QuorumPoisonMessageTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final int DELIVERY_LIMIT = 2;
  final String queue = "chervil.test.poison." + UUID.randomUUID();
  final String dlx = "chervil.test.poison.dlx." + UUID.randomUUID();
  Worker worker;
  ChervilClient client;
  Transport deadReader;

  @AfterEach
  void stop() {
    try {
      if (deadReader != null) {
        deadReader.close();
      }
      if (client != null) {
        client.close();
      }
      if (worker != null) {
        worker.close();
      }
    } finally {
      RabbitMqAdmin.deleteQueuesAndExchanges(queue, queue + ".dead", dlx);
    }
  }

  @Test
  void aTaskThatKeepsKillingItsChildIsDeadLetteredAtTheDeliveryLimitWithTheReasonLogged()
      throws Exception {
    Services.requireRabbitMq();
    worker =
        Chervil.worker(
            Services.RABBITMQ_URL,
            "rpc://",
            PoolSpec.of(PoolKind.PROCESSES, 2),
            WorkerConfig.defaults()
                .withQueues(List.of(queue))
                .withAcksLate(true, true)
                .withDeadLetterExchange(dlx)
                .withQueueArguments(QueueArguments.quorum(DELIVERY_LIMIT)));
    worker.start();
    // Declaring the queue as the worker does, or the broker refuses the declaration.
    client =
        Chervil.client(Services.RABBITMQ_URL, "rpc://")
            .withDeadLetterExchange(dlx)
            .withQueueArguments(QueueArguments.quorum(DELIVERY_LIMIT));
    client.start();
    // Warm-up: amqp-client's consumer pools start their threads one delivery at a time.
    for (int i = 0; i < 10; i++) {
      client.task("chervil.debug.noop").queue(queue).send().get(WAIT);
    }
    int expected = ((ProcessPool) worker.pool()).expectedChildren();
    await()
        .pollInSameThread()
        .atMost(WAIT)
        .until(
            () ->
                worker.pool().ownedChildPids().size() == expected
                    && Census.take(worker.pool()).children() == expected);
    CensusBaseline baseline = new CensusBaseline(Census.take(worker.pool()));

    // The test's own reader of the dead-letter queue, closed before the census is compared.
    deadReader = Transports.fromUrl(Services.RABBITMQ_URL);
    deadReader.start();
    List<Delivery> dead = new CopyOnWriteArrayList<>();
    deadReader.consume(
        queue + ".dead",
        1,
        d -> {
          dead.add(d);
          d.ack();
        });

    try (LoggedProblems problems = LoggedProblems.watch()) {
      String id = client.task("chervil.debug.exit").args(3).queue(queue).send().id();
      await().atMost(WAIT).until(() -> dead.size() == 1);
      assertEquals(id, dead.getFirst().message().headers().get("id"), "the poison message is dead");
      assertEquals(
          "delivery_limit",
          String.valueOf(dead.getFirst().message().headers().get("x-first-death-reason")),
          () -> dead.getFirst().message().headers().toString());

      // Delivered once, then again after each of DELIVERY_LIMIT losses: every run killed a child.
      assertEquals(DELIVERY_LIMIT + 1, worker.stats().requeued(), "runs, each ending in a loss");
      assertEquals(
          DELIVERY_LIMIT + 1,
          problems.lines().stream()
              .filter(l -> l.contains("event=task-requeued task=" + id))
              .count(),
          () -> problems.lines().toString());
      List<String> deadLettered =
          problems.lines().stream()
              .filter(l -> l.contains("event=task-dead-lettered task=" + id))
              .toList();
      assertEquals(1, deadLettered.size(), () -> problems.lines().toString());
      String why = deadLettered.getFirst();
      assertTrue(why.contains("x-delivery-count=" + DELIVERY_LIMIT), why);
      assertTrue(why.contains("x-delivery-limit=" + DELIVERY_LIMIT), why);
      assertTrue(why.contains("deadLetterExchange=" + dlx), why);
      assertTrue(why.contains("exited with code 3"), why);

      // The worker goes on: a normal task after it runs, and the poison is not delivered again.
      assertEquals(
          List.of(7), client.task("chervil.debug.echo").args(7).queue(queue).send().get(WAIT));
      assertEquals(DELIVERY_LIMIT + 1, worker.stats().requeued(), "not redelivered again");
      assertEquals(0, worker.stats().failed());
    }
    deadReader.close();
    CensusAssertions.assertBackToBaseline(baseline, worker.pool(), expected, WAIT);
  }
}
