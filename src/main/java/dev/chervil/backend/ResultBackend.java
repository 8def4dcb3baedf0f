package dev.chervil.backend;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * Where task outcomes go and where callers wait for them. Implementations: {@code RpcBackend} (AMQP
 * {@code reply_to}), {@code RedisBackend} (Celery's key format) and {@code NoBackend}.
 *
 * <p>The worker calls {@link #store}; a client calls {@link #replyTo()} before publishing and
 * {@link #await} after. Lifecycle: {@link #start()} then {@link #close()}, both idempotent.
 */
public interface ResultBackend extends AutoCloseable {

  void start();

  /**
   * How long stored results live (Celery's {@code result_expires}); zero keeps them. Set before
   * {@link #start()}; backends that keep nothing ignore it.
   */
  default void expireResultsAfter(Duration ttl) {}

  /** The {@code reply_to} a client must put on its messages, or null if results are not routed. */
  String replyTo();

  /**
   * Records a state for a task. {@code replyTo} and {@code correlationId} are the request's own
   * properties; backends that do not route replies ignore them.
   */
  void store(ResultMeta meta, String replyTo, String correlationId);

  /**
   * As {@link #store}, without making the caller wait for the backend: the future completes when
   * the state is stored (a publish confirmed, a write answered) and completes exceptionally when it
   * could not be. The default stores on the calling thread.
   */
  default java.util.concurrent.CompletableFuture<Void> storeAsync(
      ResultMeta meta, String replyTo, String correlationId) {
    try {
      store(meta, replyTo, correlationId);
      return java.util.concurrent.CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      return java.util.concurrent.CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Waits until the task is ready (SUCCESS, FAILURE or REVOKED) and returns its meta.
   *
   * @throws TimeoutException when nothing ready arrived in time
   */
  ResultMeta await(String taskId, Duration timeout) throws TimeoutException, InterruptedException;

  /**
   * Prepares a chord of {@code size} header tasks under {@code groupId}, as Celery's own client
   * does before sending the header: Celery workers join chords through the result backend.
   *
   * @throws UnsupportedOperationException for backends that cannot join a chord (Celery's rpc://
   *     cannot either)
   */
  default void prepareChord(String groupId, int size) {
    throw new UnsupportedOperationException(cannotJoinChords());
  }

  /** Whether {@link #joinChord} works here: workers refuse chord members otherwise. */
  default boolean joinsChords() {
    return false;
  }

  /**
   * Records one header task's outcome under {@code groupId} at {@code index}, atomically with
   * counting them. If it was the last one, returns every part in header order (and forgets the
   * chord: exactly one caller ever gets the list, and calls the body); otherwise empty. Also empty
   * for a group nobody prepared as a chord.
   *
   * @throws UnsupportedOperationException if {@link #joinsChords()} is false
   */
  default Optional<List<ChordPart>> joinChord(String groupId, Integer index, ChordPart part) {
    throw new UnsupportedOperationException(cannotJoinChords());
  }

  /**
   * The results of a group saved by its sender (Celery's {@code GroupResult.save}, which it does
   * for a chord whose header is complex: groups in the group, chains in it), in the saved shape: a
   * nested group becomes a nested list, a chain its last task's result. Empty when nothing was
   * saved under {@code groupId}.
   */
  default Optional<List<Object>> restoreGroupResults(String groupId) {
    return Optional.empty();
  }

  private String cannotJoinChords() {
    return "chords need a result backend that can join them (redis://); "
        + getClass().getSimpleName()
        + " cannot, and neither can Celery's rpc://";
  }

  @Override
  void close();
}
