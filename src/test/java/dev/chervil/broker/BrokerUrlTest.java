package dev.chervil.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BrokerUrlTest {
  @Test
  void celerysDoubleSlashMeansTheRootVirtualHost() {
    assertEquals(
        new BrokerUrl.Amqp("127.0.0.1", 5672, "guest", "guest", "/"),
        BrokerUrl.parse("amqp://guest:guest@127.0.0.1:5672//"));
  }

  @Test
  void aNamedVirtualHostAndEncodedCredentialsAreDecoded() {
    assertEquals(
        new BrokerUrl.Amqp("mq.example", 5673, "app", "p@ss:w/rd", "prod"),
        BrokerUrl.parse("amqp://app:p%40ss%3Aw%2Frd@mq.example:5673/prod"));
    assertEquals("/", ((BrokerUrl.Amqp) BrokerUrl.parse("amqp://h/%2F")).virtualHost());
  }

  @Test
  void missingPartsTakeRabbitMqDefaults() {
    assertEquals(
        new BrokerUrl.Amqp("localhost", 5672, "guest", "guest", "/"), BrokerUrl.parse("amqp://"));
    assertEquals(
        new BrokerUrl.Amqp("rabbit", 5672, "guest", "guest", "/"),
        BrokerUrl.parse("pyamqp://rabbit"));
  }

  @Test
  void nullAndMemoryUrlsNameTheInProcessBroker() {
    assertEquals(new BrokerUrl.Memory(""), BrokerUrl.parse(null));
    assertEquals(new BrokerUrl.Memory(""), BrokerUrl.parse("memory://"));
    assertEquals(new BrokerUrl.Memory("tests"), BrokerUrl.parse("memory://tests"));
  }

  @Test
  void badUrlsFailClearlyWithoutShowingThePassword() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BrokerUrl.parse("redis://u:secret@h/0"));
    assertTrue(e.getMessage().contains("unknown scheme 'redis'"), e.getMessage());
    assertFalse(e.getMessage().contains("secret"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> BrokerUrl.parse("localhost:5672"));
    assertThrows(IllegalArgumentException.class, () -> BrokerUrl.parse("amqp://h:notaport/"));
    assertThrows(IllegalArgumentException.class, () -> BrokerUrl.parse("amqps://h/"));
  }

  @Test
  void toStringHidesThePassword() {
    String shown = BrokerUrl.parse("amqp://u:secret@h:5672/v").toString();
    assertEquals("amqp://u@h:5672/v", shown);
  }
}
