package dev.chervil.broker.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class KombuKeysTest {
  /** Expected strings printed by kombu 5.2's {@code TopicExchange(None).key_to_pattern(key)}. */
  @Test
  void topicPatternsAreTheStringsKombuStores() {
    assertEquals("^task\\..*?[^\\.]\\.done$", KombuKeys.topicPattern("task.*.done"));
    assertEquals("^celery\\..*?$", KombuKeys.topicPattern("celery.#"));
    assertEquals("^worker\\-1\\.x\\_y$", KombuKeys.topicPattern("worker-1.x_y"));
    assertEquals("^.*?$", KombuKeys.topicPattern("#"));
    assertEquals("^a\\.b\\-c$", KombuKeys.topicPattern("a.b-c"));
  }

  @Test
  void topicPatternsMatchAsKombuMatches() {
    Pattern any = Pattern.compile(KombuKeys.topicPattern("worker.#"));
    assertTrue(any.matcher("worker.heartbeat").find());
    assertTrue(!Pattern.compile(KombuKeys.topicPattern("task.*")).matcher("worker.x").find());
  }

  @Test
  void prioritiesRoundDownToKombusSteps() {
    String sep = "\u0006\u0016";
    assertEquals("q", KombuKeys.listFor("q", null));
    assertEquals("q", KombuKeys.listFor("q", 2));
    assertEquals("q" + sep + "3", KombuKeys.listFor("q", 5));
    assertEquals("q" + sep + "9", KombuKeys.listFor("q", 255));
    assertEquals("q", KombuKeys.listFor("q", -4));
    assertEquals(
        List.of("q", "q" + sep + "3", "q" + sep + "6", "q" + sep + "9"),
        List.of(KombuKeys.listsOf("q")));
    assertEquals("a.b", KombuKeys.queueOfList("a.b" + sep + "6"));
  }

  @Test
  void fanoutChannelsCarryKombusDbPrefix() {
    assertEquals("/0.celery.pidbox", KombuKeys.fanoutTopic(0, "celery.pidbox", ""));
    assertEquals(
        "/3.celeryev/worker.heartbeat", KombuKeys.fanoutTopic(3, "celeryev", "worker.heartbeat"));
  }
}
