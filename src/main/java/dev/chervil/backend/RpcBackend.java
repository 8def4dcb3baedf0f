package dev.chervil.backend;

import dev.chervil.broker.Delivery;
import dev.chervil.broker.Subscription;
import dev.chervil.broker.Transport;
import dev.chervil.protocol.CeleryJsonCodec;
import dev.chervil.protocol.MalformedMessageException;
import dev.chervil.protocol.MessageProperties;
import dev.chervil.protocol.WireMessage;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Celery's {@code rpc://}: the worker publishes each state to the default exchange with routing key
 * = the request's {@code reply_to} and {@code correlation_id} = task id; the client consumes its
 * own exclusive reply queue. Results live only in flight, so a reply nobody waits for yet is kept
 * here until {@link #await} takes it.
 */
public final class RpcBackend implements ResultBackend {
  private static final Logger log = LoggerFactory.getLogger(RpcBackend.class);

  private final Transport transport;
  private final Map<String, ResultMeta> ready = new ConcurrentHashMap<>();
  private volatile String replyQueue;
  private Subscription replies;

  public RpcBackend(Transport transport) {
    this.transport = transport;
  }

  @Override
  public void start() {}

  /** Declares the reply queue on first use: a worker that only stores results never needs one. */
  @Override
  public synchronized String replyTo() {
    if (replyQueue == null) {
      String queue = transport.declareReplyQueue();
      replies = transport.consume(queue, 0, this::onReply);
      replyQueue = queue;
    }
    return replyQueue;
  }

  @Override
  public void store(ResultMeta meta, String replyTo, String correlationId) {
    storeAsync(meta, replyTo, correlationId).join();
  }

  /** The reply is published with a confirm the worker does not wait for in line. */
  @Override
  public CompletableFuture<Void> storeAsync(ResultMeta meta, String replyTo, String correlationId) {
    if (replyTo == null || replyTo.isEmpty()) {
      // the caller did not ask for a reply (Celery sends "" when no backend routes one)
      return CompletableFuture.completedFuture(null);
    }
    String corr = correlationId != null ? correlationId : meta.taskId();
    MessageProperties props =
        new MessageProperties(
            MessageProperties.JSON, MessageProperties.UTF_8, corr, null, 1, null, null);
    return transport.publishAsync(
        "", replyTo, new WireMessage(props, Map.of(), CeleryJsonCodec.encodeResult(meta)));
  }

  @Override
  public ResultMeta await(String taskId, Duration timeout)
      throws TimeoutException, InterruptedException {
    replyTo();
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (ready) {
      while (!ready.containsKey(taskId)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException("no result for task " + taskId + " within " + timeout);
        }
        TimeUnit.NANOSECONDS.timedWait(ready, left);
      }
      return ready.remove(taskId);
    }
  }

  private void onReply(Delivery delivery) {
    WireMessage wire = delivery.message();
    String corr = wire.properties() == null ? null : wire.properties().correlationId();
    try {
      ResultMeta meta = CeleryJsonCodec.decodeResult(wire.body(), corr);
      if (meta.status().isReady()) {
        synchronized (ready) {
          ready.put(corr != null ? corr : meta.taskId(), meta);
          ready.notifyAll();
        }
      }
    } catch (MalformedMessageException e) {
      log.warn("event=reply-rejected correlation_id={} reason=\"{}\"", corr, e.getMessage());
    } finally {
      delivery.ack();
    }
  }

  @Override
  public synchronized void close() {
    if (replies != null) {
      replies.close();
      replies = null;
    }
  }
}
