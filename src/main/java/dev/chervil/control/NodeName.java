package dev.chervil.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A worker's node name, {@code name@host}, with Celery's expansion (celery/utils/nodenames.py):
 * {@code %h} the full host name, {@code %n} its first label, {@code %d} the rest (the domain), and
 * {@code %%} a percent sign. The default {@code chervil@%h} keeps clear of a Celery worker's {@code
 * celery@%h} on the same host.
 */
public final class NodeName {
  public static final String DEFAULT = "chervil@%h";

  private NodeName() {}

  public static String expand(String pattern) {
    return expand(pattern == null || pattern.isBlank() ? DEFAULT : pattern, hostname());
  }

  static String expand(String pattern, String host) {
    int dot = host.indexOf('.');
    String name = dot < 0 ? host : host.substring(0, dot);
    String domain = dot < 0 ? "" : host.substring(dot + 1);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c != '%' || i + 1 == pattern.length()) {
        out.append(c);
        continue;
      }
      char k = pattern.charAt(++i);
      switch (k) {
        case 'h' -> out.append(host);
        case 'n' -> out.append(name);
        case 'd' -> out.append(domain);
        case '%' -> out.append('%');
        default -> out.append('%').append(k);
      }
    }
    String node = out.toString();
    // Celery: a name without '@' gets the host appended ("worker1" -> "worker1@host").
    return node.contains("@") ? node : node + "@" + host;
  }

  /** Python's {@code socket.gethostname()}: the kernel's host name. */
  public static String hostname() {
    try {
      return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    } catch (IOException e) {
      try {
        return java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException u) {
        return "localhost";
      }
    }
  }
}
