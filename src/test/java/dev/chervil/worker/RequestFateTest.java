package dev.chervil.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.Chervil;
import dev.chervil.backend.NoBackend;
import dev.chervil.backend.ResultBackend;
import dev.chervil.backend.ResultMeta;
import dev.chervil.backend.TaskState;
import dev.chervil.broker.Delivery;
import dev.chervil.broker.Transport;
import dev.chervil.broker.memory.MemoryTransport;
import dev.chervil.pool.PoolKind;
import dev.chervil.pool.PoolSpec;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.TaskHeaders;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.protocol.WireMessage;
import dev.chervil.task.Outcome;
import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskError;
import dev.chervil.task.TaskRegistry;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A {@link Request} settles its message exactly once, whatever the outcome, whatever the policy,
 * however often it is told: the fate table of README "Message settlement", one row at a time.
 */
class RequestFateTest {
  private static final TaskDefinition TASK =
      TaskDefinition.named("test.fate").varArgs().handler((ctx, a) -> null);

  private final MemoryTransport transport = new MemoryTransport();
  private final List<ResultMeta> stored = new CopyOnWriteArrayList<>();
  private Settlement settlement;
  private WorkerRemote remote;

  @AfterEach
  void close() {
    if (settlement != null) {
      settlement.close();
    }
    if (remote != null) {
      remote.close();
    }
    transport.close();
  }

  static Stream<Arguments> outcomes() {
    TaskError boom = TaskError.celery("ValueError", "boom");
    return Stream.of(
        Arguments.of(new Outcome.Ok(42), false, false, "ack", TaskState.SUCCESS),
        Arguments.of(new Outcome.Ok(42), true, false, "ack", TaskState.SUCCESS),
        Arguments.of(new Outcome.Failed(boom), false, false, "ack", TaskState.FAILURE),
        Arguments.of(new Outcome.Failed(boom), true, false, "ack", TaskState.FAILURE),
        Arguments.of(new Outcome.SoftTimedOut(boom), true, false, "ack", TaskState.FAILURE),
        Arguments.of(
            new Outcome.HardKilled(Duration.ofSeconds(1)), true, false, "ack", TaskState.FAILURE),
        Arguments.of(new Outcome.Lost("child died"), false, true, "ack", TaskState.FAILURE),
        Arguments.of(new Outcome.Lost("child died"), true, false, "ack", TaskState.FAILURE),
        Arguments.of(new Outcome.Lost("child died"), true, true, "requeue", null),
        Arguments.of(
            new Outcome.RetryRequested(Duration.ofSeconds(60), null, null),
            false,
            false,
            "ack",
            TaskState.RETRY),
        Arguments.of(
            new Outcome.RetryRequested(Duration.ofSeconds(60), null, null),
            true,
            false,
            "ack",
            TaskState.RETRY));
  }

  @ParameterizedTest(name = "{0} acks_late={1} reject_on_worker_lost={2} -> {3}")
  @MethodSource("outcomes")
  void everyOutcomeSettlesTheMessageExactlyOnce(
      Outcome outcome, boolean acksLate, boolean rejectLost, String fate, TaskState state) {
    transport.start();
    settlement = settlement(transport, recordingBackend(), acksLate, rejectLost);
    CountingDelivery delivery = new CountingDelivery();
    Request request = new Request(delivery, message(), TASK, settlement);

    assertTrue(request.begin());
    assertEquals(acksLate ? List.of() : List.of("ack"), delivery.settlements);
    request.complete(outcome);
    request.complete(outcome); // told twice: still settled once
    request.complete(new Outcome.Failed(TaskError.celery("X", "late")));

    await().until(() -> settlement.unsettled() == 0);
    assertEquals(List.of(fate), delivery.settlements);
    if (state == null) {
      assertTrue(stored.isEmpty(), "a requeued task stores no result: " + stored);
    } else {
      assertEquals(state, stored.getFirst().status());
    }
  }

  @Test
  void anExpiredMessageIsRevokedAndAckedWithoutRunning() {
    transport.start();
    settlement = settlement(transport, recordingBackend(), true, false);
    CountingDelivery delivery = new CountingDelivery();
    TaskMessage expired =
        withHeaders(
            TaskHeaders.builder("test.fate", UUID.randomUUID().toString())
                .expires(OffsetDateTime.now().minusSeconds(1))
                .build());
    Request request = new Request(delivery, expired, TASK, settlement);

    assertFalse(request.begin());
    request.complete(new Outcome.Lost("not admitted")); // what the pool reports: ignored
    await().until(() -> delivery.settlements.size() == 1);
    assertEquals(List.of("ack"), delivery.settlements);
    assertEquals(TaskState.REVOKED, stored.getFirst().status());
  }

  @Test
  void aMessageFromALostChannelIsDroppedUnsettled() {
    transport.start();
    settlement = settlement(transport, recordingBackend(), false, false);
    CountingDelivery delivery = new CountingDelivery();
    delivery.stale = true;
    Request request = new Request(delivery, message(), TASK, settlement);

    assertFalse(request.begin(), "the broker delivers it again: this copy must not run");
    request.complete(new Outcome.Lost("not admitted"));
    assertEquals(List.of(), delivery.settlements);
    assertTrue(stored.isEmpty());
  }

  @Test
  void aDrainingWorkerLeavesAnUnstartedMessageToTheBroker() {
    transport.start();
    settlement = settlement(transport, recordingBackend(), false, false);
    settlement.stopAdmitting();
    CountingDelivery delivery = new CountingDelivery();
    Request request = new Request(delivery, message(), TASK, settlement);

    assertFalse(request.begin());
    request.complete(new Outcome.Lost("not admitted"));
    assertEquals(List.of(), delivery.settlements, "unacked: closing the consumer requeues it");
  }

  @Test
  void aRetryThatCannotBePublishedRequeuesTheOriginalWithAcksLate() {
    // A transport that was never started refuses to publish: the retry copy is not with the broker.
    settlement = settlement(transport, recordingBackend(), true, false);
    CountingDelivery delivery = new CountingDelivery();
    Request request = new Request(delivery, message(), TASK, settlement);

    assertTrue(request.begin());
    request.complete(new Outcome.RetryRequested(Duration.ofSeconds(1), null, null));
    await().until(() -> settlement.unsettled() == 0);
    assertEquals(List.of("requeue"), delivery.settlements);
  }

  @Test
  void aRetryThatCannotBePublishedFailsTheTaskWhenAckedEarly() {
    settlement = settlement(transport, recordingBackend(), false, false);
    CountingDelivery delivery = new CountingDelivery();
    Request request = new Request(delivery, message(), TASK, settlement);

    assertTrue(request.begin());
    request.complete(new Outcome.RetryRequested(Duration.ofSeconds(1), null, null));
    await().until(() -> settlement.unsettled() == 0);
    assertEquals(List.of("ack"), delivery.settlements);
    assertEquals(TaskState.FAILURE, stored.getFirst().status());
  }

  @Test
  void aResultThatCannotBeStoredRequeuesTheMessageWithAcksLate() {
    transport.start();
    ResultBackend down =
        new NoBackend() {
          @Override
          public CompletableFuture<Void> storeAsync(ResultMeta m, String replyTo, String corr) {
            return CompletableFuture.failedFuture(new IllegalStateException("backend down"));
          }
        };
    settlement = settlement(transport, down, true, false);
    CountingDelivery delivery = new CountingDelivery();
    Request request = new Request(delivery, message(), TASK, settlement);

    assertTrue(request.begin());
    request.complete(new Outcome.Ok("lost?"));
    await().until(() -> settlement.unsettled() == 0);
    assertEquals(List.of("requeue"), delivery.settlements, "the outcome must not be lost");
  }

  private Settlement settlement(
      Transport t, ResultBackend backend, boolean acksLate, boolean rejectLost) {
    WorkerConfig config = WorkerConfig.defaults().withAcksLate(acksLate, rejectLost);
    TaskRegistry registry = new TaskRegistry();
    remote =
        new WorkerRemote(
            t, Chervil.pool(PoolSpec.of(PoolKind.SOLO, 1), registry), registry, config, NO_HOST);
    // Two quick retries: the policy's patience is not what this test is about.
    return new Settlement(
        backend,
        new StoreRetry(3, Duration.ofMillis(10), Duration.ofMillis(20)),
        t,
        registry,
        new WorkerStats(),
        config,
        remote);
  }

  /** The node's host side: nothing to steer in these tests. */
  private static final WorkerRemote.Host NO_HOST =
      new WorkerRemote.Host() {
        @Override
        public List<String> queues() {
          return List.of();
        }

        @Override
        public void addQueue(String queue) {}

        @Override
        public boolean removeQueue(String queue) {
          return false;
        }

        @Override
        public void poolResized(int delta) {}

        @Override
        public int prefetchCount() {
          return 0;
        }

        @Override
        public void shutdownAsync() {}
      };

  private ResultBackend recordingBackend() {
    return new NoBackend() {
      @Override
      public void store(ResultMeta meta, String replyTo, String correlationId) {
        stored.add(meta);
      }
    };
  }

  private static TaskMessage message() {
    return withHeaders(TaskHeaders.builder("test.fate", UUID.randomUUID().toString()).build());
  }

  private static TaskMessage withHeaders(TaskHeaders headers) {
    return new TaskMessage(headers, List.of(1), Map.of(), null, null);
  }

  /** Records every settlement sent to the broker, in order. */
  private static final class CountingDelivery implements Delivery {
    final List<String> settlements = new CopyOnWriteArrayList<>();
    volatile boolean stale;

    @Override
    public WireMessage message() {
      return new WireMessage(
          new MessageProperties(
              MessageProperties.JSON, MessageProperties.UTF_8, null, null, 2, null, null),
          Map.of(),
          new byte[0]);
    }

    @Override
    public String queue() {
      return "chervil-test-fate";
    }

    @Override
    public boolean redelivered() {
      return false;
    }

    @Override
    public void ack() {
      settlements.add("ack");
    }

    @Override
    public void reject(boolean requeue) {
      settlements.add(requeue ? "requeue" : "reject");
    }

    @Override
    public boolean isStale() {
      return stale;
    }
  }
}
