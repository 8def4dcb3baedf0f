package dev.chervil.worker;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.chervil.Chervil;
import dev.chervil.broker.Delivery;
import dev.chervil.broker.Subscription;
import dev.chervil.broker.Transport;
import dev.chervil.client.TaskFailedException;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.protocol.WireMessage;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bad input is rejected without requeue, dead-lettered, answered with a FAILURE where a caller can
 * be waiting, and never stops the worker: after each bad message a good one still runs.
 */
abstract class BadInputContract extends WorkerFixture {
  static final String DLX = "chervil-test-dlx";

  @Override
  WorkerConfig config() {
    return super.config().withDeadLetterExchange(DLX);
  }

  enum Bad {
    MALFORMED_JSON,
    BODY_NOT_A_TRIPLE,
    MISSING_TASK_HEADER,
    MISSING_ID_HEADER,
    PICKLE,
    YAML,
    UNKNOWN_TASK,
    WRONG_ARGUMENT_COUNT,
    WRONG_ARGUMENT_TYPE,
    UNEXPECTED_KWARG,
    CHORD_MEMBER_WITHOUT_A_JOINING_BACKEND
  }

  @ParameterizedTest
  @EnumSource(Bad.class)
  void badMessageIsRejectedDeadLetteredAndTheWorkerGoesOn(Bad bad) throws Exception {
    List<Delivery> dead = new CopyOnWriteArrayList<>();
    try (Transport raw = Chervil.transport(brokerUrl())) {
      raw.start();
      Subscription deadLetters =
          raw.consume(
              queue + ".dead",
              10,
              d -> {
                dead.add(d);
                d.ack();
              });
      TaskMessage good = client.task("proj.tasks.add").args(1, 2).queue(queue).message();
      raw.publish("", queue, spoil(bad, good));

      String expected =
          switch (bad) {
            case UNKNOWN_TASK -> "NotRegistered";
            case WRONG_ARGUMENT_COUNT, WRONG_ARGUMENT_TYPE, UNEXPECTED_KWARG -> "TypeError";
            case CHORD_MEMBER_WITHOUT_A_JOINING_BACKEND -> "ChordError";
            case PICKLE, YAML -> "ContentDisallowed";
            case MISSING_TASK_HEADER -> "NotImplementedError"; // protocol 1, as far as we know
            case MALFORMED_JSON -> "DecodeError";
            case BODY_NOT_A_TRIPLE -> "ValueError";
            case MISSING_ID_HEADER -> null; // no id to answer to
          };
      if (expected != null) {
        // The caller learns why at once instead of waiting forever.
        TaskFailedException e =
            assertThrows(TaskFailedException.class, () -> client.result(good.id()).get(WAIT));
        assertEquals(expected, e.excType());
      }
      await().atMost(10, SECONDS).until(() -> dead.size() == 1);
      await().atMost(10, SECONDS).until(() -> worker.stats().rejected() == 1);
      deadLetters.close();
    }
    assertEquals(
        3,
        ((Number) client.task("proj.tasks.add").args(1, 2).queue(queue).send().get(WAIT))
            .intValue());
    assertCensusAtBaseline();
  }

  private static WireMessage spoil(Bad bad, TaskMessage good) {
    WireMessage w = CeleryJsonCodec.encode(good);
    Map<String, Object> headers = new HashMap<>(w.headers());
    MessageProperties p = w.properties();
    byte[] body = w.body();
    switch (bad) {
      case MALFORMED_JSON -> body = "[[1, 2], {}, {".getBytes(StandardCharsets.UTF_8);
      case BODY_NOT_A_TRIPLE -> body = "{\"args\": [1, 2]}".getBytes(StandardCharsets.UTF_8);
      case MISSING_TASK_HEADER -> headers.remove("task");
      case MISSING_ID_HEADER -> headers.remove("id");
      case PICKLE -> p = withType(p, "application/x-python-serialize", "binary");
      case YAML -> p = withType(p, "application/x-yaml", "utf-8");
      case UNKNOWN_TASK -> headers.put("task", "proj.tasks.nope");
      case WRONG_ARGUMENT_COUNT -> body = "[[1, 2, 3], {}, {}]".getBytes(StandardCharsets.UTF_8);
      case WRONG_ARGUMENT_TYPE -> body = "[[1, \"two\"], {}, {}]".getBytes(StandardCharsets.UTF_8);
      case UNEXPECTED_KWARG -> body = "[[1, 2], {\"z\": 3}, {}]".getBytes(StandardCharsets.UTF_8);
      case CHORD_MEMBER_WITHOUT_A_JOINING_BACKEND ->
          body =
              ("[[1, 2], {}, {\"chord\": {\"task\": \"proj.tasks.tsum\","
                      + " \"args\": [], \"kwargs\": {}, \"options\": {}}}]")
                  .getBytes(StandardCharsets.UTF_8);
    }
    return new WireMessage(p, headers, body);
  }

  private static MessageProperties withType(MessageProperties p, String type, String encoding) {
    return new MessageProperties(
        type,
        encoding,
        p.correlationId(),
        p.replyTo(),
        p.deliveryMode(),
        p.priority(),
        p.expiration());
  }
}
