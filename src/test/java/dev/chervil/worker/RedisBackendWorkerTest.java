package dev.chervil.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chervil.client.AsyncResult;
import dev.chervil.client.TaskCall;
import dev.chervil.client.TaskFailedException;
import dev.chervil.testing.Services;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A worker whose results go to the real Redis in Celery's format, on the real RabbitMQ: results
 * awaited by subscription, and chords joined in Redis the way Celery's workers join them.
 */
class RedisBackendWorkerTest extends WorkerFixture {
  @BeforeEach
  @Override
  void startWorkerAndClient() throws Exception {
    Services.requireRabbitMq();
    Services.requireRedis();
    super.startWorkerAndClient();
  }

  @Override
  String brokerUrl() {
    return Services.RABBITMQ_URL;
  }

  @Override
  String backendUrl() {
    return Services.REDIS_URL;
  }

  TaskCall add(int x, int y) {
    return client.task("proj.tasks.add").args(x, y).queue(queue);
  }

  @Test
  void resultsAndFailuresTravelThroughRedis() throws Exception {
    assertEquals(5, ((Number) add(2, 3).send().get(WAIT)).intValue());
    TaskFailedException e =
        assertThrows(
            TaskFailedException.class,
            () -> client.task("chervil.debug.fail").args("boom").queue(queue).send().get(WAIT));
    assertEquals("IllegalStateException", e.excType());
    assertCensusAtBaseline();
  }

  @Test
  void aChordCallsItsBodyWithEveryResultInHeaderOrder() throws Exception {
    List<TaskCall> header = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      header.add(add(i, i));
    }
    AsyncResult body = client.chord(header, client.task("proj.tasks.tsum").queue(queue));
    assertEquals(90, ((Number) body.get(WAIT)).intValue());
    assertCensusAtBaseline();
  }

  @Test
  void aFailedMemberFailsTheBodyWithChordErrorAndCallsItsErrback() throws Exception {
    TaskCall errback = client.task("proj.tasks.errback").queue(queue);
    TaskCall body = client.task("proj.tasks.tsum").queue(queue).linkError(errback);
    TaskCall failing = client.task("chervil.debug.fail").args("boom").queue(queue);
    AsyncResult result = client.chord(List.of(add(1, 1), failing, add(2, 2)), body);
    TaskFailedException e = assertThrows(TaskFailedException.class, () -> result.get(WAIT));
    assertEquals("ChordError", e.excType());
    assertTrue(
        e.getMessage().contains(failing.id()) && e.getMessage().contains("boom"), e.getMessage());
    assertEquals("errback saw " + body.id(), client.result(errback.id()).get(WAIT));
    assertCensusAtBaseline();
  }
}
