package dev.chervil.worker;

import dev.chervil.testing.Services;
import org.junit.jupiter.api.BeforeEach;

/** The worker specification on the real RabbitMQ. */
class AmqpBadInputTest extends BadInputContract {
  @BeforeEach
  @Override
  void startWorkerAndClient() throws Exception {
    Services.requireRabbitMq();
    super.startWorkerAndClient();
  }

  @Override
  String brokerUrl() {
    return Services.RABBITMQ_URL;
  }
}
