package dev.chervil.broker;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Where a transport connects, parsed from a Celery-style broker URL.
 *
 * <ul>
 *   <li>{@code amqp://user:pass@host:port/vhost} (also {@code pyamqp://}, Celery's alias). As in
 *       kombu, an empty path or Celery's {@code //} means vhost {@code /}; {@code %2F} decodes to
 *       {@code /}. Missing parts default to {@code guest:guest@localhost:5672}.
 *   <li>{@code redis://[user:pass@]host[:port][/db][?visibility_timeout=seconds]} kombu's Redis
 *       transport: db defaults to 0, port to 6379; {@code visibility_timeout} is kombu's transport
 *       option of that name (default 3600 s).
 *   <li>{@code memory://} the default in-process broker, {@code memory://name} a named one; a
 *       {@code null} URL means {@code memory://}.
 * </ul>
 */
public sealed interface BrokerUrl {

  /** A RabbitMQ endpoint. {@link #toString()} never shows the password. */
  record Amqp(String host, int port, String username, String password, String virtualHost)
      implements BrokerUrl {
    public static final int DEFAULT_PORT = 5672;

    @Override
    public String toString() {
      String vhost = "/".equals(virtualHost) ? "/" : "/" + virtualHost;
      return "amqp://" + username + "@" + host + ":" + port + vhost;
    }
  }

  /**
   * A Redis endpoint used as kombu's Redis transport. {@code visibilityTimeout} is null for kombu's
   * default. {@link #toString()} never shows the password.
   */
  record Redis(
      String host,
      int port,
      String username,
      String password,
      int database,
      java.time.Duration visibilityTimeout)
      implements BrokerUrl {
    public static final int DEFAULT_PORT = 6379;

    @Override
    public String toString() {
      String user = username == null ? "" : username + "@";
      String vt =
          visibilityTimeout == null ? "" : "?visibility_timeout=" + visibilityTimeout.toSeconds();
      return "redis://" + user + host + ":" + port + "/" + database + vt;
    }
  }

  /** An in-process broker; {@code name} is empty for the JVM's default one. */
  record Memory(String name) implements BrokerUrl {
    public Memory {
      name = name == null ? "" : name;
    }

    @Override
    public String toString() {
      return "memory://" + name;
    }
  }

  /**
   * Parses a broker URL.
   *
   * @throws IllegalArgumentException naming the URL (password masked) and what is wrong with it
   */
  static BrokerUrl parse(String url) {
    if (url == null || url.isBlank()) {
      return new Memory("");
    }
    String trimmed = url.strip();
    int colon = trimmed.indexOf("://");
    if (colon <= 0) {
      throw invalid(
          trimmed, "expected scheme://..., e.g. amqp://guest:guest@localhost:5672// or memory://");
    }
    String scheme = trimmed.substring(0, colon).toLowerCase(java.util.Locale.ROOT);
    return switch (scheme) {
      case "memory" -> new Memory(trimmed.substring(colon + 3).replaceAll("/+$", ""));
      case "amqp", "pyamqp" -> parseAmqp(trimmed);
      case "redis" -> parseRedis(trimmed);
      case "rediss" -> throw invalid(trimmed, "TLS (rediss) is not supported yet");
      case "amqps" -> throw invalid(trimmed, "TLS (amqps) is not supported yet");
      default ->
          throw invalid(
              trimmed, "unknown scheme '" + scheme + "' (expected amqp, redis or memory)");
    };
  }

  private static Amqp parseAmqp(String url) {
    String rest = url.substring(url.indexOf("://") + 3);
    if (rest.isEmpty() || rest.startsWith("/")) {
      // java.net.URI refuses an empty authority, which kombu reads as localhost.
      return new Amqp("localhost", Amqp.DEFAULT_PORT, "guest", "guest", virtualHost(rest));
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw invalid(url, e.getReason());
    }
    String host = uri.getHost();
    if (host == null) {
      throw invalid(url, "cannot read a host name from '" + uri.getRawAuthority() + "'");
    }
    if (uri.getQuery() != null || uri.getFragment() != null) {
      throw invalid(url, "query parameters and fragments are not supported");
    }
    int port = uri.getPort() == -1 ? Amqp.DEFAULT_PORT : uri.getPort();
    String username = "guest";
    String password = "guest";
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null) {
      int sep = userInfo.indexOf(':');
      username = decode(sep < 0 ? userInfo : userInfo.substring(0, sep));
      password = sep < 0 ? "" : decode(userInfo.substring(sep + 1));
    }
    return new Amqp(host, port, username, password, virtualHost(uri.getRawPath()));
  }

  private static Redis parseRedis(String url) {
    String rest = url.substring(url.indexOf("://") + 3);
    URI uri;
    try {
      // java.net.URI refuses an empty authority, which kombu reads as localhost.
      uri = new URI(rest.isEmpty() || rest.startsWith("/") ? "redis://localhost" + rest : url);
    } catch (URISyntaxException e) {
      throw invalid(url, e.getReason());
    }
    String host = uri.getHost() == null ? "localhost" : uri.getHost();
    if (uri.getRawAuthority() != null && uri.getHost() == null) {
      throw invalid(url, "cannot read a host name from '" + uri.getRawAuthority() + "'");
    }
    int port = uri.getPort() == -1 ? Redis.DEFAULT_PORT : uri.getPort();
    String username = null;
    String password = null;
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null) {
      // kombu and redis-py: "redis://:pass@host" is a password without a user name.
      int sep = userInfo.indexOf(':');
      String user = decode(sep < 0 ? userInfo : userInfo.substring(0, sep));
      username = user.isEmpty() ? null : user;
      password = sep < 0 ? null : decode(userInfo.substring(sep + 1));
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("^/+|/+$", "");
    int db;
    try {
      db = path.isEmpty() ? 0 : Integer.parseInt(path);
    } catch (NumberFormatException e) {
      throw invalid(url, "the database is a number, not '" + path + "'");
    }
    java.time.Duration visibility = null;
    if (uri.getRawQuery() != null) {
      for (String pair : uri.getRawQuery().split("&")) {
        int eq = pair.indexOf('=');
        String key = eq < 0 ? pair : pair.substring(0, eq);
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
        if (!key.equals("visibility_timeout")) {
          throw invalid(url, "unknown option '" + key + "' (supported: visibility_timeout)");
        }
        try {
          visibility = java.time.Duration.ofMillis(Math.round(Double.parseDouble(value) * 1000));
        } catch (NumberFormatException e) {
          throw invalid(url, "visibility_timeout is seconds, not '" + value + "'");
        }
        if (visibility.isNegative() || visibility.isZero()) {
          throw invalid(url, "visibility_timeout must be positive");
        }
      }
    }
    return new Redis(host, port, username, password, db, visibility);
  }

  /** kombu: strip the first slash; what remains (if anything) is the vhost, else "/". */
  private static String virtualHost(String rawPath) {
    if (rawPath == null || rawPath.isEmpty() || rawPath.equals("/")) {
      return "/";
    }
    String vhost = decode(rawPath.substring(1));
    return vhost.isEmpty() ? "/" : vhost;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static IllegalArgumentException invalid(String url, String reason) {
    String masked = url.replaceAll("(://[^:/@]*:)[^@]*@", "$1****@");
    return new IllegalArgumentException("invalid broker URL '" + masked + "': " + reason);
  }
}
