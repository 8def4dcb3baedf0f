package dev.chervil.worker;

import dev.chervil.backend.ChordPart;
import dev.chervil.backend.ResultBackend;
import dev.chervil.backend.TaskState;
import dev.chervil.protocol.MalformedMessageException;
import dev.chervil.protocol.Signature;
import dev.chervil.protocol.TaskMessage;
import dev.chervil.task.TaskError;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A chord header task settled: its part goes into the result backend and, if it was the last, the
 * body is called with every result in header order, or failed with ChordError when a member failed,
 * as Celery does. The join lives in the backend, so Python and Java workers can fill one chord
 * together. Only for backends that join chords; the intake refuses chord members otherwise.
 */
final class ChordJoin {
  private static final Logger log = LoggerFactory.getLogger(ChordJoin.class);

  private final ResultBackend backend;
  private final ResultWriter results;
  private final Canvas canvas;

  ChordJoin(ResultBackend backend, ResultWriter results, Canvas canvas) {
    this.backend = backend;
    this.results = results;
    this.canvas = canvas;
  }

  /** {@code result} is the value, or for a failure the exception dict. Not a member: no-op. */
  void partDone(TaskMessage m, TaskState state, Object result) {
    Map<String, Object> body = m.embed().chord();
    String group = m.headers().group();
    if (body == null || group == null) {
      return;
    }
    Optional<List<ChordPart>> parts;
    Signature sig;
    try {
      parts =
          backend.joinChord(group, m.headers().groupIndex(), new ChordPart(m.id(), state, result));
      sig = Signature.fromMap(body);
    } catch (MalformedMessageException | RuntimeException e) {
      log.error(
          "event=chord-join-failed group={} task={} reason=\"{}\"", group, m.id(), e.toString());
      return;
    }
    if (parts.isEmpty()) {
      return;
    }
    String bodyId = sig.option("task_id");
    Optional<ChordPart> failed = parts.get().stream().filter(ChordPart::failsTheChord).findFirst();
    if (failed.isPresent()) {
      TaskError error =
          TaskError.celery(
              "ChordError",
              "Dependency " + failed.get().taskId() + " raised " + describe(failed.get().result()));
      if (bodyId != null) {
        results.failure(bodyId, sig.option("reply_to"), error);
      }
      canvas.onChordFailure(m, sig, bodyId, error);
      log.warn(
          "event=chord-failed group={} body={} reason=\"{}\"", group, sig.task(), error.message());
    } else {
      // A complex header (a group of groups, a chain in the header) was saved by the sender with
      // GroupResult.save: its results are restored in that shape, as Celery's Redis backend does;
      // a simple header's are the parts in order. (Arrays.asList: a result may be None.)
      Object results =
          restored(group)
              .orElseGet(
                  () ->
                      java.util.Arrays.asList(
                          parts.get().stream().map(ChordPart::result).toArray()));
      canvas.callChordBody(m, body, results);
      log.info(
          "event=chord-complete group={} body={} parts={}", group, sig.task(), parts.get().size());
    }
  }

  private Optional<Object> restored(String group) {
    try {
      return backend.restoreGroupResults(group).map(Object.class::cast);
    } catch (RuntimeException e) {
      log.error("event=chord-restore-failed group={} reason=\"{}\"", group, e.toString());
      return Optional.empty();
    }
  }

  /** An exception dict the way Python would print it: {@code ValueError('boom')}. */
  private static String describe(Object result) {
    if (result instanceof Map<?, ?> exc && exc.get("exc_type") != null) {
      Object message = exc.get("exc_message");
      String text =
          message instanceof List<?> l && l.size() == 1
              ? String.valueOf(l.getFirst())
              : String.valueOf(message);
      return exc.get("exc_type") + "('" + text + "')";
    }
    return String.valueOf(result);
  }
}
