package dev.chervil.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.chervil.backend.ResultBackend;
import dev.chervil.backend.ResultMeta;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.memory.MemoryBroker;
import dev.chervil.broker.memory.MemoryTransport;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.protocol.Embed;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.TaskHeaders;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.TaskDefinition;
import dev.chervil.task.TaskError;
import dev.chervil.task.TaskRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the canvas publishes, read back off an in-memory broker (no Python involved). */
class CanvasTest {
  private static final String Q = "canvas-test";
  private final MemoryTransport transport = new MemoryTransport(new MemoryBroker());
  private final List<TaskMessage> sent = new CopyOnWriteArrayList<>();
  private final List<String> chordsPrepared = new CopyOnWriteArrayList<>();
  private Canvas canvas;

  @BeforeEach
  void start() {
    transport.start();
    transport.declareQueue(QueueSpec.durable(Q));
    transport.consume(
        Q,
        100,
        d -> {
          try {
            sent.add(CeleryJsonCodec.decode(d.message()));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          } finally {
            d.ack();
          }
        });
    TaskRegistry registry =
        new TaskRegistry()
            .register(
                TaskDefinition.named("new.style")
                    .param("request", Map.class)
                    .param("exc", Map.class)
                    .param("traceback", String.class)
                    .handler((ctx, a) -> null))
            .register(
                TaskDefinition.named("old.style")
                    .param("task_id", String.class)
                    .handler((ctx, a) -> null));
    canvas = new Canvas(transport, new PreparingBackend(), Canvas.newStyleErrbacks(registry));
  }

  @AfterEach
  void stop() {
    transport.close();
  }

  private static Map<String, Object> sig(
      String task, List<Object> args, boolean immutable, Map<String, Object> options) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("task", task);
    m.put("args", args);
    m.put("kwargs", Map.of());
    Map<String, Object> o = new LinkedHashMap<>(options);
    o.put("queue", Q);
    m.put("options", o);
    m.put("immutable", immutable);
    m.put("subtask_type", null);
    return m;
  }

  private static TaskMessage parent(Embed embed) {
    return new TaskMessage(
        TaskHeaders.builder("proj.tasks.parent", "parent-id").rootId("root-id").build(),
        List.of(1),
        Map.of(),
        embed,
        MessageProperties.json("parent-id", null));
  }

  private TaskMessage sentAs(String task) {
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> sent.stream().anyMatch(m -> m.task().equals(task)));
    return sent.stream().filter(m -> m.task().equals(task)).findFirst().orElseThrow();
  }

  @Test
  void errbacksGetTheArgumentsCelery52GivesThem() {
    TaskMessage failed =
        parent(
            new Embed(
                null,
                List.of(
                    sig("old.style", List.of("x"), true, Map.of()),
                    sig("not.here", List.of("extra"), false, Map.of()),
                    sig("new.style", List.of(), false, Map.of())),
                null,
                null));
    canvas.onFailure(failed, new TaskError("ValueError", "bad", "builtins", "Traceback...", null));
    assertEquals(List.of("x"), sentAs("old.style").args(), "immutable: only its own");
    assertEquals(List.of("parent-id", "extra"), sentAs("not.here").args(), "old style: id first");
    List<Object> args = sentAs("new.style").args();
    assertEquals(3, args.size(), args.toString());
    assertEquals("parent-id", ((Map<?, ?>) args.get(0)).get("id"));
    assertEquals("ValueError", ((Map<?, ?>) args.get(1)).get("exc_type"));
    assertEquals("Traceback...", args.get(2));
    assertEquals("parent-id", sentAs("new.style").headers().parentId());
  }

  @Test
  void aGroupAsTheLastChainStepPublishesItsMembersWithTheResult() {
    Map<String, Object> group = sig("celery.group", List.of(), false, Map.of("task_id", "g-1"));
    group.put("subtask_type", "group");
    group.put(
        "kwargs",
        Map.of(
            "tasks",
            List.of(sig("a", List.of(10), false, Map.of()), sig("b", List.of(), true, Map.of()))));
    canvas.onSuccess(parent(new Embed(null, null, List.of(group), null)), 7);
    assertEquals(List.of(7, 10), sentAs("a").args());
    assertEquals(List.of(), sentAs("b").args(), "an immutable member gets no result");
    assertEquals("g-1", sentAs("a").headers().group());
    assertEquals(0, sentAs("a").headers().groupIndex());
    assertEquals(1, sentAs("b").headers().groupIndex());
  }

  @Test
  void aChainStepRunsItsFirstTaskThenTheRestThenWhatFollowedIt() {
    Map<String, Object> chain = sig("celery.chain", List.of(), false, Map.of());
    chain.put("subtask_type", "chain");
    chain.put(
        "kwargs",
        Map.of(
            "tasks",
            List.of(
                sig("first", List.of(), false, Map.of()),
                sig("second", List.of(), false, Map.of()),
                sig("third", List.of(), false, Map.of()))));
    Map<String, Object> after = sig("after", List.of(), false, Map.of());
    canvas.onSuccess(parent(new Embed(null, null, List.of(after, chain), null)), 5);
    TaskMessage first = sentAs("first");
    assertEquals(List.of(5), first.args());
    assertEquals(
        List.of("after", "third", "second"),
        first.embed().chain().stream().map(s -> s.get("task")).toList(),
        "stored reversed: the last element runs next");
  }

  @Test
  void aChordStepWritesItsSizeThenSendsTheHeaderCarryingTheBody() {
    Map<String, Object> chord = sig("celery.chord", List.of(), false, Map.of());
    chord.put("subtask_type", "chord");
    Map<String, Object> header = sig("celery.group", List.of(), false, Map.of());
    header.put(
        "kwargs",
        Map.of(
            "tasks",
            List.of(
                sig("h", List.of(1), false, Map.of("group_id", "chord-g")),
                sig("h2", List.of(2), false, Map.of("group_id", "chord-g")))));
    chord.put("kwargs", Map.of("header", header, "body", sig("body", List.of(), false, Map.of())));
    canvas.onSuccess(parent(new Embed(null, null, List.of(chord), null)), 3);
    assertEquals(List.of(3, 1), sentAs("h").args());
    assertEquals(List.of("chord-g:2"), chordsPrepared);
    assertEquals("body", sentAs("h2").embed().chord().get("task"));
    assertEquals("chord-g", sentAs("h2").headers().group());
  }

  /** Celery's {@code sig.set(priority=n)}: the step is sent with AMQP priority n. */
  @Test
  void aStepsPriorityOptionIsTheMessagesPriority() {
    canvas.onSuccess(
        parent(
            new Embed(
                List.of(sig("linked", List.of(), false, Map.of("priority", 7))),
                null,
                List.of(sig("next", List.of(), false, Map.of("priority", 3))),
                null)),
        1);
    assertEquals(7, sentAs("linked").properties().priority());
    assertEquals(3, sentAs("next").properties().priority());
    canvas.onSuccess(
        parent(new Embed(List.of(sig("plain", List.of(), false, Map.of())), null, null, null)), 1);
    assertNull(sentAs("plain").properties().priority(), "none set, none sent");
  }

  @Test
  void aNoneResultIsHandedOn() {
    canvas.onSuccess(
        parent(new Embed(List.of(sig("cb", List.of(), false, Map.of())), null, null, null)), null);
    assertEquals(java.util.Arrays.asList((Object) null), sentAs("cb").args());
  }

  /** Records chord preparation; stores nothing. */
  private final class PreparingBackend implements ResultBackend {
    @Override
    public void start() {}

    @Override
    public String replyTo() {
      return null;
    }

    @Override
    public void store(ResultMeta meta, String replyTo, String correlationId) {}

    @Override
    public ResultMeta await(String taskId, Duration timeout) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void prepareChord(String groupId, int size) {
      chordsPrepared.add(groupId + ":" + size);
    }

    @Override
    public boolean joinsChords() {
      return true;
    }

    @Override
    public void close() {}
  }
}
