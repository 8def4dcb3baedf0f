package dev.chervil.broker.redis;

import java.util.ArrayList;
import java.util.List;

/**
 * The Redis key names kombu's Redis transport (kombu 5.2, {@code kombu/transport/redis.py}) uses,
 * so that a Python Celery app and Chervil read and write the same keys.
 *
 * <ul>
 *   <li>a queue is a list; priority {@code N>0} lives in {@code queue\x06\x16N}, one list per step
 *       of {@code [0, 3, 6, 9]}, and a consumer BRPOPs them in that order (0 first: on Redis a
 *       lower number is served first, as Celery documents);
 *   <li>an exchange's bindings are the set {@code _kombu.binding.<exchange>} of {@code
 *       routing_key\x06\x16pattern\x06\x16queue};
 *   <li>fanout messages are PUBLISHed on {@code /<db>.<exchange>[/<routing_key>]}.
 * </ul>
 */
final class KombuKeys {
  static final String SEP = "\u0006\u0016";
  static final String BINDING_PREFIX = "_kombu.binding.";
  static final String UNACKED = "unacked";
  static final String UNACKED_INDEX = "unacked_index";
  static final String UNACKED_MUTEX = "unacked_mutex";
  static final List<Integer> PRIORITY_STEPS = List.of(0, 3, 6, 9);

  private KombuKeys() {}

  static String bindings(String exchange) {
    return BINDING_PREFIX + exchange;
  }

  static String bindingMember(String routingKey, String pattern, String queue) {
    return nz(routingKey) + SEP + nz(pattern) + SEP + nz(queue);
  }

  /**
   * The list a message of {@code priority} goes to: kombu clamps to 0..9, then rounds down to a
   * step.
   */
  static String listFor(String queue, Integer priority) {
    int p = priority == null ? 0 : Math.clamp(priority, 0, 9);
    int step = 0;
    for (int s : PRIORITY_STEPS) {
      if (s <= p) {
        step = s;
      }
    }
    return step == 0 ? queue : queue + SEP + step;
  }

  /** The lists of {@code queue} in the order kombu's BRPOP reads them. */
  static String[] listsOf(String queue) {
    List<String> keys = new ArrayList<>();
    for (int step : PRIORITY_STEPS) {
      keys.add(step == 0 ? queue : queue + SEP + step);
    }
    return keys.toArray(String[]::new);
  }

  /** The queue a BRPOP key belongs to: kombu strips the last {@code \x06\x16N}. */
  static String queueOfList(String list) {
    int at = list.lastIndexOf(SEP);
    return at < 0 ? list : list.substring(0, at);
  }

  /**
   * kombu's fanout channel with {@code fanout_prefix} and {@code fanout_patterns} on (defaults).
   */
  static String fanoutTopic(int db, String exchange, String routingKey) {
    String prefix = "/" + db + ".";
    return routingKey == null || routingKey.isEmpty()
        ? prefix + exchange
        : prefix + exchange + "/" + routingKey;
  }

  /**
   * kombu's topic binding regex ({@code TopicExchange.key_to_pattern}): every character that is not
   * alphanumeric or one of {@code .#*} is backslash-escaped, then {@code *} becomes {@code
   * .*?[^\.]} and {@code #} becomes {@code .*?}, words joined by {@code \.}. Python stores this
   * string in the binding set and matches against it, so Chervil must write the same one.
   */
  static String topicPattern(String routingKey) {
    StringBuilder escaped = new StringBuilder();
    routingKey
        .codePoints()
        .forEach(
            c -> {
              if (Character.isLetterOrDigit(c) || c == '.' || c == '#' || c == '*') {
                escaped.appendCodePoint(c);
              } else if (c == 0) {
                escaped.append("\\000");
              } else {
                escaped.append('\\').appendCodePoint(c);
              }
            });
    List<String> words = new ArrayList<>();
    for (String word : escaped.toString().split("\\.", -1)) {
      words.add(
          switch (word) {
            case "*" -> ".*?[^\\.]";
            case "#" -> ".*?";
            default -> word;
          });
    }
    return "^" + String.join("\\.", words) + "$";
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
