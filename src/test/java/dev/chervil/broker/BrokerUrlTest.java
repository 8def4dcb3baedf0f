package dev.chervil.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
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
        assertThrows(IllegalArgumentException.class, () -> BrokerUrl.parse("kafka://u:secret@h/0"));
    assertTrue(e.getMessage().contains("unknown scheme 'kafka'"), e.getMessage());
    assertFalse(e.getMessage().contains("secret"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> BrokerUrl.parse("localhost:5672"));
    assertThrows(IllegalArgumentException.class, () -> BrokerUrl.parse("amqp://h:notaport/"));
    assertThrows(IllegalArgumentException.class, () -> BrokerUrl.parse("amqps://h/"));
  }

  @Test
  void redisUrlsReadAsKombuReadsThem() {
    assertEquals(
        new BrokerUrl.Redis("127.0.0.1", 6379, null, null, 3, null),
        BrokerUrl.parse("redis://127.0.0.1:6379/3"));
    assertEquals(
        new BrokerUrl.Redis("localhost", 6379, null, null, 0, null), BrokerUrl.parse("redis://"));
    assertEquals(
        new BrokerUrl.Redis("h", 6380, null, "p@ss", 0, Duration.ofMillis(2500)),
        BrokerUrl.parse("redis://:p%40ss@h:6380/?visibility_timeout=2.5"));
    assertEquals(
        new BrokerUrl.Redis("h", 6379, "app", "pw", 0, null), BrokerUrl.parse("redis://app:pw@h"));
    assertThrows(IllegalArgumentException.class, () -> BrokerUrl.parse("redis://h/db1"));
    assertThrows(IllegalArgumentException.class, () -> BrokerUrl.parse("redis://h/0?sep=x"));
    assertThrows(IllegalArgumentException.class, () -> BrokerUrl.parse("rediss://h/0"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> BrokerUrl.parse("redis://u:secret@h/0?visibility_timeout=-1"));
    assertFalse(e.getMessage().contains("secret"), e.getMessage());
    assertEquals("redis://u@h:6379/0", BrokerUrl.parse("redis://u:secret@h/0").toString());
  }

  @Test
  void toStringHidesThePassword() {
    String shown = BrokerUrl.parse("amqp://u:secret@h:5672/v").toString();
    assertEquals("amqp://u@h:5672/v", shown);
  }
}
