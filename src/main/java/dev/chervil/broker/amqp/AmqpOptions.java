package dev.chervil.broker.amqp;

import java.time.Duration;

/**
 * Tuning of an {@link AmqpTransport}.
 *
 * @param connectionName shown by {@code rabbitmqctl list_connections user_provided_name}
 * @param recoveryInterval wait between reconnection attempts after the connection is lost
 * @param confirmTimeout how long a publish may wait for the broker's confirm before its future
 *     fails (swept once a second)
 * @param consumerThreads size of the pool that runs delivery handlers (one channel is served by one
 *     thread at a time, so this bounds parallelism across subscriptions, not within one)
 * @param heartbeat requested AMQP heartbeat; a dead peer is noticed after about twice this
 */
public record AmqpOptions(
    String connectionName,
    Duration recoveryInterval,
    Duration confirmTimeout,
    int consumerThreads,
    Duration heartbeat) {

  public AmqpOptions {
    if (consumerThreads < 1) {
      throw new IllegalArgumentException("consumerThreads must be >= 1, was " + consumerThreads);
    }
  }

  public static AmqpOptions defaults() {
    return new AmqpOptions(
        "chervil", Duration.ofSeconds(1), Duration.ofSeconds(30), 2, Duration.ofSeconds(30));
  }

  public AmqpOptions withConfirmTimeout(Duration timeout) {
    return new AmqpOptions(connectionName, recoveryInterval, timeout, consumerThreads, heartbeat);
  }

  public AmqpOptions withConnectionName(String name) {
    return new AmqpOptions(name, recoveryInterval, confirmTimeout, consumerThreads, heartbeat);
  }
}
