package dev.chervil.broker.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import dev.chervil.broker.ExchangeSpec;
import dev.chervil.broker.QueueSpec;
import dev.chervil.broker.TransportException;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Declares queues, exchanges and bindings, and declares them again after a reconnect.
 *
 * <p>Every declaration runs on a throwaway channel: a redeclaration with different arguments makes
 * RabbitMQ close the channel (406 PRECONDITION_FAILED), which must not take a consumer or the
 * publisher down with it. Because amqp-client's own topology recovery replays a declaration on the
 * channel that made it — closed by then — the transport filters declarations out of it and calls
 * {@link #redeclareAll()} itself when topology recovery starts, before consumers are recovered.
 */
final class AmqpTopology {
  private static final Logger log = LoggerFactory.getLogger(AmqpTopology.class);
  private static final Pattern INEQUIVALENT =
      Pattern.compile("inequivalent arg '([^']+)' for (queue|exchange) '([^']+)'");

  /** Dead letters of queue {@code q} land in {@code q + DEAD_SUFFIX}. */
  static final String DEAD_SUFFIX = ".dead";

  private final Connection connection;
  private final Map<String, QueueSpec> queues = new LinkedHashMap<>(); // guarded by this
  private final Map<String, Boolean> replyQueues = new LinkedHashMap<>(); // guarded by this
  // Queues that exist with other arguments than ours: redeclared passively after a reconnect.
  private final java.util.Set<String> passive = new java.util.HashSet<>(); // guarded by this
  private String delayedType; // guarded by this; non-null once the delay levels are declared
  private final ExchangesAndBindings routing = new ExchangesAndBindings();

  AmqpTopology(Connection connection) {
    this.connection = connection;
  }

  /**
   * Declares {@code spec}. When the queue already exists with other arguments (RabbitMQ's 406
   * PRECONDITION_FAILED, e.g. a Python app declared it with {@code x-max-priority}), logs which
   * argument differs and how to fix it, and uses the existing queue as it is (passive declare and
   * bind) rather than failing: it can be consumed, just not with our arguments.
   */
  void declare(QueueSpec spec) {
    try {
      withChannel("declare queue '" + spec.name() + "'", ch -> declareOn(ch, spec));
    } catch (TransportException e) {
      Mismatch m = Mismatch.of(e);
      if (m == null || !m.isQueue(spec.name())) {
        throw e;
      }
      log.warn(
          "event=queue-declare-mismatch queue={} argument={} action=use-existing-queue fix=\"{}\""
              + " broker=\"{}\"",
          spec.name(),
          m.argument(),
          m.fix(spec.name()),
          m.replyText());
      withChannel(
          "passively declare queue '" + spec.name() + "'", ch -> declarePassiveOn(ch, spec));
      synchronized (this) {
        queues.put(spec.name(), spec);
        passive.add(spec.name());
      }
      return;
    }
    synchronized (this) {
      queues.put(spec.name(), spec);
      passive.remove(spec.name());
    }
    log.info(
        "event=queue-declared queue={} durable={} deadLetterExchange={} arguments={}",
        spec.name(),
        spec.durable(),
        spec.deadLetterExchange(),
        spec.arguments());
  }

  /**
   * The name is chosen here rather than by the server: a server-named queue gets a new name when
   * amqp-client recovers it, under the feet of every request that carries the old reply_to.
   */
  String declareReplyQueue() {
    String name = "chervil.reply." + UUID.randomUUID();
    withChannel("declare reply queue '" + name + "'", ch -> declareReplyOn(ch, name));
    synchronized (this) {
      replyQueues.put(name, Boolean.TRUE);
    }
    log.info("event=reply-queue-declared queue={}", name);
    return name;
  }

  /**
   * Declares the delayed-delivery levels (once per connection) and binds {@code queue} to their
   * exit. A level that exists with other arguments (a Python worker declared them classic, or
   * another type) is used as it is, as a queue mismatch is.
   */
  void declareDelayed(String queue, String routingKey, String queueType) {
    boolean levels;
    synchronized (this) {
      levels = delayedType == null;
    }
    if (levels) {
      try {
        withChannel(
            "declare delayed-delivery levels", ch -> DelayedDelivery.declare(ch, queueType));
        log.info("event=delayed-delivery-declared queueType={}", queueType);
      } catch (TransportException e) {
        Mismatch m = Mismatch.of(e);
        if (m == null) {
          throw e;
        }
        log.warn(
            "event=delayed-delivery-mismatch argument={} action=use-existing broker=\"{}\"",
            m.argument(),
            m.replyText());
      }
      synchronized (this) {
        delayedType = queueType;
      }
    }
    withChannel(
        "bind queue '" + queue + "' to " + DelayedDelivery.DELIVERY_EXCHANGE,
        ch -> DelayedDelivery.bindQueue(ch, queue, routingKey));
  }

  /** Forgets the delayed-delivery levels so the next delayed publish declares them again. */
  synchronized void forgetDelayed() {
    delayedType = null;
  }

  /** Replays every declaration; failures are logged per queue, never thrown. */
  void redeclareAll() {
    forgetDelayed(); // the broker may have lost them (a new node): redeclared on next use
    Map<String, QueueSpec> specs;
    Iterable<String> replies;
    java.util.Set<String> asIs;
    synchronized (this) {
      specs = new LinkedHashMap<>(queues);
      replies = new java.util.ArrayList<>(replyQueues.keySet());
      asIs = new java.util.HashSet<>(passive);
    }
    routing.redeclareExchanges();
    specs
        .values()
        .forEach(
            spec ->
                redeclare(
                    spec.name(),
                    asIs.contains(spec.name())
                        ? ch -> declarePassiveOn(ch, spec)
                        : ch -> declareOn(ch, spec)));
    replies.forEach(name -> redeclare(name, ch -> declareReplyOn(ch, name)));
    routing.rebind();
  }

  void declareExchange(ExchangeSpec spec) {
    routing.declare(spec);
  }

  void bind(String queue, String exchange, String routingKey) {
    routing.bind(queue, exchange, routingKey);
  }

  /**
   * Exchanges and bindings declared through {@code declareExchange}/{@code bind} (remote control,
   * events), replayed after a reconnect: exchanges before queues, bindings after them.
   */
  private final class ExchangesAndBindings {
    private record Binding(String queue, String exchange, String routingKey) {}

    private final Map<String, ExchangeSpec> exchanges = new LinkedHashMap<>(); // guarded by this
    private final java.util.Set<Binding> bindings =
        new java.util.LinkedHashSet<>(); // guarded by this

    void declare(ExchangeSpec spec) {
      withChannel("declare exchange '" + spec.name() + "'", ch -> declareExchangeOn(ch, spec));
      synchronized (this) {
        exchanges.put(spec.name(), spec);
      }
    }

    void bind(String queue, String exchange, String routingKey) {
      Binding b = new Binding(queue, exchange, routingKey);
      withChannel(
          "bind queue '" + queue + "' to exchange '" + exchange + "'",
          ch -> ch.queueBind(queue, exchange, routingKey));
      synchronized (this) {
        bindings.add(b);
      }
    }

    void redeclareExchanges() {
      java.util.List<ExchangeSpec> specs;
      synchronized (this) {
        specs = java.util.List.copyOf(exchanges.values());
      }
      for (ExchangeSpec spec : specs) {
        try {
          withChannel(
              "redeclare exchange '" + spec.name() + "'", ch -> declareExchangeOn(ch, spec));
        } catch (TransportException e) {
          log.error(
              "event=exchange-redeclare-failed exchange={} reason=\"{}\"",
              spec.name(),
              e.getMessage());
        }
      }
    }

    void rebind() {
      java.util.List<Binding> all;
      synchronized (this) {
        all = java.util.List.copyOf(bindings);
      }
      for (Binding b : all) {
        try {
          withChannel(
              "rebind queue '" + b.queue() + "'",
              ch -> ch.queueBind(b.queue(), b.exchange(), b.routingKey()));
        } catch (TransportException e) {
          // An auto-delete queue of a consumer that is gone: nothing to rebind.
          log.warn(
              "event=rebind-failed queue={} exchange={} reason=\"{}\"",
              b.queue(),
              b.exchange(),
              e.getMessage());
        }
      }
    }

    private static void declareExchangeOn(Channel ch, ExchangeSpec spec) throws IOException {
      BuiltinExchangeType type =
          switch (spec.type()) {
            case DIRECT -> BuiltinExchangeType.DIRECT;
            case TOPIC -> BuiltinExchangeType.TOPIC;
            case FANOUT -> BuiltinExchangeType.FANOUT;
          };
      ch.exchangeDeclare(spec.name(), type, spec.durable(), spec.autoDelete(), null);
    }
  }

  private void redeclare(String queue, ChannelAction action) {
    try {
      withChannel("redeclare queue '" + queue + "'", action);
      log.info("event=queue-redeclared queue={}", queue);
    } catch (TransportException e) {
      log.error("event=queue-redeclare-failed queue={} reason=\"{}\"", queue, e.getMessage());
    }
  }

  private static void declareOn(Channel ch, QueueSpec spec) throws IOException {
    Map<String, Object> args = new HashMap<>(spec.arguments());
    String dlx = spec.deadLetterExchange();
    if (dlx != null && !dlx.isBlank()) {
      // Direct, and the dead queue bound with the queue's name: dead-lettering keeps the original
      // routing key (= queue name, as Celery publishes), so several queues can share one DLX.
      ch.exchangeDeclare(dlx, BuiltinExchangeType.DIRECT, true);
      String dead = spec.name() + DEAD_SUFFIX;
      ch.queueDeclare(dead, true, false, false, null);
      ch.queueBind(dead, dlx, spec.name());
      args.put("x-dead-letter-exchange", dlx);
    }
    ch.exchangeDeclare(spec.name(), BuiltinExchangeType.DIRECT, spec.durable());
    ch.queueDeclare(
        spec.name(),
        spec.durable(),
        spec.exclusive(),
        spec.autoDelete(),
        args.isEmpty() ? null : args);
    ch.queueBind(spec.name(), spec.name(), spec.name());
  }

  /** The queue exists with arguments of its own: use it as it is, bound as kombu binds it. */
  private static void declarePassiveOn(Channel ch, QueueSpec spec) throws IOException {
    ch.queueDeclarePassive(spec.name());
    ch.exchangeDeclare(spec.name(), BuiltinExchangeType.DIRECT, spec.durable());
    ch.queueBind(spec.name(), spec.name(), spec.name());
  }

  private static void declareReplyOn(Channel ch, String name) throws IOException {
    ch.queueDeclare(name, false, true, true, null);
  }

  private void withChannel(String what, ChannelAction action) {
    Channel ch = null;
    try {
      ch = connection.createChannel();
      if (ch == null) {
        throw new TransportException("cannot " + what + ": no channel number left");
      }
      action.run(ch);
    } catch (IOException | ShutdownSignalException e) {
      throw translate(what, e);
    } finally {
      closeQuietly(ch);
    }
  }

  static TransportException translate(String what, Exception e) {
    ShutdownSignalException signal =
        e instanceof ShutdownSignalException s
            ? s
            : e.getCause() instanceof ShutdownSignalException s ? s : null;
    if (signal != null && signal.getReason() instanceof AMQP.Channel.Close close) {
      if (close.getReplyCode() == AMQP.PRECONDITION_FAILED) {
        Matcher m = INEQUIVALENT.matcher(close.getReplyText());
        if (m.find()) {
          return new TransportException(
              "cannot "
                  + what
                  + ": "
                  + m.group(2)
                  + " '"
                  + m.group(3)
                  + "' already exists with a different '"
                  + m.group(1)
                  + "'; "
                  + Mismatch.fixFor(m.group(1), m.group(3))
                  + " (broker: "
                  + close.getReplyText()
                  + ")",
              e);
        }
      }
      return new TransportException("cannot " + what + ": " + close.getReplyText(), e);
    }
    return new TransportException("cannot " + what + ": " + e.getMessage(), e);
  }

  private static void closeQuietly(Channel ch) {
    if (ch == null || !ch.isOpen()) {
      return;
    }
    try {
      ch.close();
    } catch (IOException | TimeoutException | ShutdownSignalException e) {
      log.debug(
          "event=channel-close-failed channel={} reason=\"{}\"",
          ch.getChannelNumber(),
          e.toString());
    }
  }

  /** A 406 PRECONDITION_FAILED "inequivalent arg" of a declaration, parsed. */
  record Mismatch(String argument, String kind, String name, String replyText) {
    static Mismatch of(Exception e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof ShutdownSignalException s
            && s.getReason() instanceof AMQP.Channel.Close close
            && close.getReplyCode() == AMQP.PRECONDITION_FAILED) {
          Matcher m = INEQUIVALENT.matcher(close.getReplyText());
          return m.find()
              ? new Mismatch(m.group(1), m.group(2), m.group(3), close.getReplyText())
              : null;
        }
      }
      return null;
    }

    boolean isQueue(String queue) {
      return kind.equals("queue") && name.equals(queue);
    }

    String fix(String queue) {
      return fixFor(argument, queue);
    }

    static String fixFor(String argument, String queue) {
      String how =
          switch (argument) {
            case "x-max-priority" ->
                "give the worker the same --max-priority (QueueSpec arguments x-max-priority) as"
                    + " the app that declared it (Celery: task_queue_max_priority)";
            case "x-queue-type" ->
                "give the worker the same --queue-type (QueueSpec arguments x-queue-type) as the"
                    + " app that declared it (Celery 5.5: task_default_queue_type)";
            case "x-dead-letter-exchange", "x-dead-letter-routing-key" ->
                "give the worker the same --dead-letter-exchange as the queue has";
            default -> "declare it with the same '" + argument + "' as the app that declared it";
          };
      return how + ", or delete it (rabbitmqctl delete_queue " + queue + ") to redeclare it";
    }
  }

  @FunctionalInterface
  interface ChannelAction {
    void run(Channel channel) throws IOException;
  }
}
