package dev.chervil.control;

import dev.chervil.broker.ExchangeSpec;
import java.util.Map;
import java.util.regex.Pattern;

/** kombu's pidbox names and declarations (kombu/pidbox.py, Celery's control_* settings). */
public final class PidboxNames {
  /** {@code celery.pidbox}: fanout, not durable, as kombu declares it. */
  public static final ExchangeSpec EXCHANGE =
      new ExchangeSpec("celery.pidbox", ExchangeSpec.Type.FANOUT, false, false);

  /** {@code reply.celery.pidbox}: direct, not durable. */
  public static final ExchangeSpec REPLY_EXCHANGE =
      new ExchangeSpec("reply.celery.pidbox", ExchangeSpec.Type.DIRECT, false, false);

  /** control_queue_ttl 300 s and control_queue_expires 10 s, in kombu's queue arguments. */
  public static final Map<String, Object> QUEUE_ARGUMENTS =
      Map.of("x-message-ttl", 300_000, "x-expires", 10_000);

  private PidboxNames() {}

  public static String nodeQueue(String node) {
    return node + ".celery.pidbox";
  }

  /** kombu.matcher: {@code glob} (fnmatch) or {@code pcre} (re.match, anchored at the start). */
  static boolean matches(String node, String pattern, String matcher) {
    if ("pcre".equals(matcher)) {
      return Pattern.compile(pattern).matcher(node).lookingAt();
    }
    StringBuilder re = new StringBuilder();
    for (char c : pattern.toCharArray()) {
      switch (c) {
        case '*' -> re.append(".*");
        case '?' -> re.append('.');
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return node.matches(re.toString());
  }
}
