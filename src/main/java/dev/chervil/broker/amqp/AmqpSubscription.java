package dev.chervil.broker.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.LongString;
import com.rabbitmq.client.ShutdownSignalException;
import dev.chervil.broker.DeliveryHandler;
import dev.chervil.broker.Subscription;
import dev.chervil.threads.Watchdog;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One queue consumed on a channel of its own, with manual acknowledgement, kept alive.
 *
 * <p><b>Kept alive.</b> amqp-client recovers connections, not channels: a channel the broker closes
 * ({@code consumer_timeout}, a precondition failure, a queue deleted under a consume) or a consumer
 * it cancels ({@code basic.cancel}: queue deleted, node down) would leave the worker deaf. A
 * shutdown listener on every channel and {@code handleCancel} on every consumer notice it, log one
 * WARN line with the reason, and {@link #restore()} re-opens the channel and re-consumes with
 * backoff (100 ms doubling to 5 s, for as long as it takes) unless we cancelled or closed. After a
 * connection loss the transport calls {@link #connectionRecovered()}: amqp-client brings the
 * channel back, and this class — not amqp-client, whose consumer recovery the transport filters out
 * for our tags — consumes again, so there is one way a consumer comes back.
 *
 * <p><b>Stale deliveries.</b> Each delivery knows the {@link ChannelLink} it came on; once that
 * channel died its deliveries are stale ({@link dev.chervil.broker.Delivery#isStale()}), their
 * settlement is a logged no-op and the broker redelivers them.
 *
 * <p><b>Prefetch is per consumer</b> ({@code basic.qos global=false}), never channel-wide: quorum
 * queues refuse global QoS and RabbitMQ 4 deprecates it. RabbitMQ fixes a consumer's limit when it
 * starts ({@code RabbitMqQosSemanticsTest}), so {@link #prefetch(int)} retires the running
 * consumers (cancelled; what they hold stays unacked on the channel and can still be settled) and
 * starts one whose limit is the room left: the new prefetch minus what the retired ones hold. Once
 * the retired ones have settled everything, one more consumer takes up the remaining room. The
 * unacknowledged count on the channel therefore never exceeds the prefetch, and reaches it again.
 *
 * <p>Threads: state is guarded by {@code this}. Shutdown listeners run on amqp-client's connection
 * thread and only mark the link and hand over to the transport's keeper thread, which does the
 * re-opening; deliveries run on the consumer pool; settlement on any thread.
 */
final class AmqpSubscription implements Subscription {
  private static final Logger log = LoggerFactory.getLogger(AmqpSubscription.class);
  private static final int MAX_PREFETCH = 65_535; // basic.qos prefetch-count is a short
  private static final long FIRST_RETRY_MS = 100;
  private static final long MAX_RETRY_MS = 5_000;

  /**
   * The longest an ack waits for others to share its frame. Celery acks an early-acked task when
   * the pool reports it started, so its ack trails the start too; a worker killed in this window
   * runs those tasks again (docs/RELIABILITY.md).
   */
  static final long ACK_DELAY_MICROS = 1_000;

  /** Consumer tags of subscriptions start with this; the transport keeps amqp-client off them. */
  static final String TAG_PREFIX = "chervil.sub.";

  private final Connection connection;
  private final ScheduledExecutorService keeper;
  private final String queue;
  private final DeliveryHandler handler;
  private final Consumer<AmqpSubscription> onClose;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final List<Receiver> active = new ArrayList<>(); // guarded by this
  private final List<Receiver> retired = new ArrayList<>(); // guarded by this
  private volatile ChannelLink link; // written under this; read by connectionLost without it
  private long generations; // guarded by this
  private boolean cancelled; // guarded by this
  private boolean restoring; // guarded by this
  private int attempts; // guarded by this
  private volatile int prefetch;

  private AmqpSubscription(
      Connection connection,
      ScheduledExecutorService keeper,
      String queue,
      int prefetch,
      DeliveryHandler handler,
      Consumer<AmqpSubscription> onClose) {
    this.connection = connection;
    this.keeper = keeper;
    this.queue = queue;
    this.prefetch = prefetch;
    this.handler = handler;
    this.onClose = onClose;
  }

  static AmqpSubscription start(
      Connection connection,
      ScheduledExecutorService keeper,
      String queue,
      int prefetch,
      DeliveryHandler handler,
      Consumer<AmqpSubscription> onClose) {
    checkPrefetch(prefetch);
    AmqpSubscription sub =
        new AmqpSubscription(connection, keeper, queue, prefetch, handler, onClose);
    synchronized (sub) {
      try {
        sub.link = sub.openLink();
        sub.consumeWindow();
      } catch (IOException | ShutdownSignalException e) {
        if (sub.link != null) {
          sub.link.closeQuietly();
        }
        throw AmqpTopology.translate("consume queue '" + queue + "'", e);
      }
      log.info(
          "event=consumer-started queue={} consumerTag={} prefetch={}",
          queue,
          sub.active.isEmpty() ? null : sub.active.getFirst().tag,
          prefetch);
    }
    return sub;
  }

  String queue() {
    return queue;
  }

  @Override
  public synchronized void prefetch(int count) {
    checkPrefetch(count);
    if (closed.get()) {
      throw new IllegalStateException("subscription to queue '" + queue + "' is closed");
    }
    int from = prefetch;
    if (from == count) {
      return;
    }
    prefetch = count;
    if (!cancelled && !restoring && !link.isAbandoned() && link.channel.isOpen()) {
      try {
        consumeWindow();
      } catch (IOException | ShutdownSignalException e) {
        // The channel is gone; its shutdown listener restores it with the new prefetch.
        throw AmqpTopology.translate("change prefetch of queue '" + queue + "' to " + count, e);
      }
    }
    log.info("event=prefetch-changed queue={} from={} to={}", queue, from, count);
  }

  @Override
  public int prefetch() {
    return prefetch;
  }

  /** Whether {@code delivery}'s channel has died since it arrived. */
  boolean isStale(AmqpDelivery delivery) {
    return delivery.receiver().link.isStale(delivery.deliveryTag());
  }

  /**
   * Settles a delivery unless the channel that carried it is gone. A reject goes now; an ack joins
   * its channel's {@link AckBatch}, sent once half the prefetch window has gathered or after {@link
   * #ACK_DELAY_MICROS}, whichever comes first.
   */
  void settle(AmqpDelivery delivery, boolean ack, boolean requeue) {
    String action = ack ? "ack" : requeue ? "reject-requeue" : "reject";
    Receiver r = delivery.receiver();
    synchronized (this) {
      if (r.link.isStale(delivery.deliveryTag())) {
        log.warn(
            "event=settle-skipped reason=stale-delivery action={} queue={} deliveryTag={}"
                + " taskId={} note=\"its channel closed; the broker redelivers it\"",
            action,
            queue,
            delivery.deliveryTag(),
            delivery.taskId());
        return;
      }
      if (ack) {
        r.link.acks.ack(delivery.deliveryTag());
        if (r.link.acks.due(ackBatch())) {
          flushAcks(r.link);
        } else if (r.link.acks.scheduleFlush()) {
          ChannelLink l = r.link;
          onKeeperMicros(() -> flushAcksOf(l), ACK_DELAY_MICROS);
        }
        return;
      }
      r.link.acks.remove(delivery.deliveryTag());
      try {
        r.link.channel.basicReject(delivery.deliveryTag(), requeue);
      } catch (IOException | ShutdownSignalException e) {
        log.warn(
            "event=settle-failed action={} queue={} deliveryTag={} taskId={} reason=\"{}\"",
            action,
            queue,
            delivery.deliveryTag(),
            delivery.taskId(),
            e.toString());
      }
      settled(r);
    }
  }

  /** Acks gathered before a flush: half the window, so the broker always has room to send. */
  private int ackBatch() {
    return prefetch == 0 ? 64 : Math.max(1, Math.min(64, prefetch / 2));
  }

  private synchronized void flushAcksOf(ChannelLink l) {
    flushAcks(l);
  }

  /** Sends the acks waiting on {@code l} (caller holds the lock). */
  private void flushAcks(ChannelLink l) {
    try {
      l.acks.flush(l.channel, l::isStale, this::settled);
    } catch (IOException | ShutdownSignalException e) {
      // The channel is gone, and with it every tag it handed out: the broker redelivers them.
      log.warn("event=settle-failed action=ack queue={} reason=\"{}\"", queue, e.toString());
    }
  }

  /** Rejects (no requeue) a delivery that never became an {@link AmqpDelivery}. */
  private synchronized void rejectUnread(Receiver r, long deliveryTag) {
    if (r.link.isStale(deliveryTag)) {
      return;
    }
    r.link.acks.remove(deliveryTag);
    try {
      r.link.channel.basicReject(deliveryTag, false);
    } catch (IOException | ShutdownSignalException e) {
      log.warn("event=settle-failed action=reject queue={} reason=\"{}\"", queue, e.toString());
    }
    settled(r);
  }

  private void settled(Receiver r) {
    int left = r.unsettled.decrementAndGet();
    if (r.retired && left == 0 || active.isEmpty()) {
      onKeeper(this::topUp, 0);
    }
  }

  /** Cancels the consumers but keeps the channel, so unsettled deliveries can still be acked. */
  @Override
  public synchronized void cancel() {
    if (cancelled || closed.get()) {
      return;
    }
    cancelled = true; // a second basic.cancel of the same tag would be a channel error
    retireActive();
    flushAcks(link);
    log.info("event=consumer-cancelled queue={}", queue);
  }

  /** Cancels the consumers and closes the channel, which makes RabbitMQ requeue unsettled ones. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    synchronized (this) {
      if (!cancelled) {
        retireActive();
      }
      cancelled = true;
      flushAcks(link); // what was acked must not come back when the channel closes
      link.closeQuietly();
    }
    log.info("event=consumer-stopped queue={}", queue);
    onClose.accept(this);
  }

  /**
   * The transport's connection died (on amqp-client's connection thread, before the transport logs
   * it): the deliveries it brought are stale from now on. The channel's own shutdown listener says
   * so too, but amqp-client runs channel listeners on another thread, later, and a buffered
   * delivery must not start in between.
   */
  void connectionLost(ShutdownSignalException cause) {
    link.markLost(cause);
  }

  /** The transport's connection came back (amqp-client re-opened our channel, not our consumer). */
  void connectionRecovered() {
    onKeeper(this::restore, 0);
  }

  // --- keeping the consumer alive (keeper thread) ---

  private ChannelLink openLink() throws IOException {
    Channel ch = connection.createChannel();
    if (ch == null) {
      throw new IOException("no channel number left on the connection");
    }
    ChannelLink l = new ChannelLink(ch, ++generations);
    ch.addShutdownListener(cause -> onShutdown(l, cause));
    return l;
  }

  /** On amqp-client's connection thread: mark, then leave the rest to the keeper. */
  private void onShutdown(ChannelLink l, ShutdownSignalException cause) {
    l.markLost(cause);
    if (!cause.isInitiatedByApplication() && !closed.get()) {
      onKeeper(() -> channelLost(l, cause), 0);
    }
  }

  private synchronized void channelLost(ChannelLink l, ShutdownSignalException cause) {
    if (l != link || closed.get()) {
      return;
    }
    active.clear();
    retired.clear();
    if (cause.isHardError()) {
      log.warn(
          "event=consumer-channel-lost queue={} generation={} action=await-connection-recovery"
              + " reason=\"{}\"",
          queue,
          l.generation,
          reason(cause));
      return; // connectionRecovered() follows once amqp-client has the connection back
    }
    if (restoring) {
      log.debug("event=consumer-restore-channel-closed queue={} reason=\"{}\"", queue, cause);
      return;
    }
    log.warn(
        "event=consumer-channel-closed queue={} generation={} action={} reason=\"{}\"",
        queue,
        l.generation,
        cancelled ? "none-cancelled" : "reopen",
        reason(cause));
    if (!cancelled) {
      scheduleRestore();
    }
  }

  private synchronized void brokerCancelled(Receiver r) {
    if (!active.remove(r) || closed.get()) {
      return;
    }
    r.retired = true;
    retired.add(r);
    log.warn(
        "event=consumer-cancelled-by-broker queue={} consumerTag={} action={}"
            + " reason=\"basic.cancel from the broker: queue deleted or its node down\"",
        queue,
        r.tag,
        cancelled ? "none-cancelled" : "reconsume");
    if (!cancelled) {
      scheduleRestore();
    }
  }

  private void scheduleRestore() {
    if (restoring) {
      return;
    }
    restoring = true;
    attempts = 0;
    onKeeper(this::restore, FIRST_RETRY_MS);
  }

  /** Re-opens the channel if it died and consumes again; retries with backoff until it works. */
  private synchronized void restore() {
    if (closed.get() || cancelled) {
      restoring = false;
      return;
    }
    attempts++;
    try {
      if (link.isAbandoned() || !link.channel.isOpen()) {
        link.closeQuietly();
        active.clear();
        retired.clear();
        link = openLink();
      }
      consumeWindow();
      restoring = false;
      log.info(
          "event=consumer-restored queue={} generation={} attempts={} prefetch={}",
          queue,
          link.generation,
          attempts,
          prefetch);
    } catch (IOException | RuntimeException e) {
      restoring = true;
      long delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS << Math.min(attempts, 10));
      log.warn(
          "event=consumer-restore-failed queue={} attempt={} retryInMs={} reason=\"{}\"",
          queue,
          attempts,
          delay,
          e.getMessage() == null ? e.toString() : e.getMessage());
      onKeeper(this::restore, delay);
    }
  }

  /** Starts one more consumer when the retired ones have settled and there is room. */
  private synchronized void topUp() {
    if (closed.get() || cancelled || restoring || link.isAbandoned()) {
      return;
    }
    retired.removeIf(r -> r.unsettled.get() == 0);
    if (!retired.isEmpty() && !active.isEmpty()) {
      return; // wait for the retired ones, or every settle would start a consumer
    }
    try {
      if (prefetch == 0 ? active.isEmpty() : room() > 0) {
        startConsumer();
      }
    } catch (IOException | ShutdownSignalException e) {
      log.debug("event=consumer-top-up-failed queue={} reason=\"{}\"", queue, e.toString());
    }
  }

  /** Retires the running consumers and starts one with the room left under the prefetch. */
  private void consumeWindow() throws IOException {
    retireActive();
    retired.removeIf(r -> r.unsettled.get() == 0);
    if (prefetch == 0 || room() > 0) {
      startConsumer();
    }
    // else: full with what the retired consumers hold; topUp() starts one as they settle
  }

  private int room() {
    int held = retired.stream().mapToInt(r -> r.unsettled.get()).sum();
    return prefetch - held - active.stream().mapToInt(r -> r.limit).sum();
  }

  private void startConsumer() throws IOException {
    int limit = prefetch == 0 ? 0 : room();
    Receiver r = new Receiver(link, limit);
    link.channel.basicQos(limit, false);
    link.channel.basicConsume(queue, false, r.tag, r);
    active.add(r);
  }

  private void retireActive() {
    for (Receiver r : active) {
      r.retired = true;
      if (link.channel.isOpen()) {
        try {
          link.channel.basicCancel(r.tag);
        } catch (IOException | ShutdownSignalException e) {
          log.debug("event=consumer-cancel-failed queue={} reason=\"{}\"", queue, e.toString());
        }
      }
      retired.add(r);
    }
    active.clear();
  }

  private void onKeeperMicros(Runnable task, long delayMicros) {
    try {
      keeper.schedule(Watchdog.guarded("ack-flush", task), delayMicros, TimeUnit.MICROSECONDS);
    } catch (RejectedExecutionException e) {
      // the transport is closing: close() flushes what is left
    }
  }

  private void onKeeper(Runnable task, long delayMs) {
    try {
      keeper.schedule(
          Watchdog.guarded("subscription-upkeep", task), delayMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // the transport is closing; nothing left to restore
    }
  }

  private static String reason(ShutdownSignalException cause) {
    return cause.getReason() instanceof AMQP.Channel.Close c
        ? c.getReplyCode() + " " + c.getReplyText()
        : cause.getReason() instanceof AMQP.Connection.Close c
            ? c.getReplyCode() + " " + c.getReplyText()
            : String.valueOf(cause.getMessage());
  }

  private static void checkPrefetch(int count) {
    if (count < 0 || count > MAX_PREFETCH) {
      throw new IllegalArgumentException(
          "prefetch must be between 0 (unlimited) and " + MAX_PREFETCH + ", was " + count);
    }
  }

  /**
   * One basic.consume on one link. Runs on the transport's consumer pool, one delivery at a time
   * per channel, and never lets anything escape: a handler that throws gets its delivery rejected
   * without requeue (dead-lettered where configured) and the consumer goes on.
   */
  final class Receiver extends DefaultConsumer {
    final ChannelLink link;
    final int limit;
    final String tag = TAG_PREFIX + UUID.randomUUID();
    final AtomicInteger unsettled = new AtomicInteger();
    volatile boolean retired;

    Receiver(ChannelLink link, int limit) {
      super(link.channel);
      this.link = link;
      this.limit = limit;
    }

    @Override
    public void handleDelivery(
        String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
      long deliveryTag = envelope.getDeliveryTag();
      if (link.isStale(deliveryTag)) {
        // Dispatched after its channel died: the broker has it again.
        log.debug("event=stale-delivery-dropped queue={} deliveryTag={}", queue, deliveryTag);
        return;
      }
      unsettled.incrementAndGet();
      link.acks.delivered(deliveryTag, this);
      AmqpDelivery delivery = null;
      try {
        delivery =
            new AmqpDelivery(
                AmqpSubscription.this,
                this,
                deliveryTag,
                AmqpProperties.fromAmqp(properties, body),
                envelope.isRedeliver());
        if (envelope.isRedeliver()) {
          logRedelivery(delivery);
        }
        handler.handle(delivery);
      } catch (HeaderValues.TooDeepException e) {
        // Refused before decoding: the message never reaches the worker, which would reject it.
        log.warn(
            "event=message-rejected queue={} taskId={} deliveryTag={} reason=\"{}\"",
            queue,
            rawTaskId(properties),
            deliveryTag,
            e.getMessage());
        rejectUnread(this, deliveryTag);
      } catch (
          Throwable e) { // NOPMD: nothing may escape into amqp-client, which closes the channel
        String taskId = delivery != null ? delivery.taskId() : properties.getCorrelationId();
        log.error(
            "event=handler-failed queue={} taskId={} deliveryTag={} action=reject",
            queue,
            taskId,
            deliveryTag,
            e);
        if (delivery != null) {
          delivery.rejectIfUnsettled();
        } else {
          rejectUnread(this, deliveryTag);
        }
      }
    }

    /** Protocol 2's {@code id} header read from amqp-client's table, else the correlation id. */
    private static String rawTaskId(AMQP.BasicProperties properties) {
      Object id = properties.getHeaders() == null ? null : properties.getHeaders().get("id");
      return id instanceof LongString || id instanceof String
          ? id.toString()
          : properties.getCorrelationId();
    }

    /** Quorum queues count deliveries; past {@code x-delivery-limit} the broker dead-letters. */
    private void logRedelivery(AmqpDelivery d) {
      log.info(
          "event=redelivered queue={} taskId={} deliveryCount={}",
          queue,
          d.taskId(),
          d.message().headers().get("x-delivery-count"));
    }

    @Override
    public void handleCancel(String consumerTag) {
      onKeeper(() -> brokerCancelled(this), 0);
    }
  }
}
