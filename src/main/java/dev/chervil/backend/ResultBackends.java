package dev.chervil.backend;

import dev.chervil.broker.Transport;
import java.net.URI;

/**
 * Result backend URLs as Celery spells them: {@code rpc://}, {@code redis://host:port/db}, none.
 */
public final class ResultBackends {
  private ResultBackends() {}

  /**
   * @param url null, empty or {@code disabled} for none
   * @param transport the broker connection rpc:// replies travel on
   * @throws IllegalArgumentException for a scheme Chervil does not support, naming the ones it does
   */
  public static ResultBackend fromUrl(String url, Transport transport) {
    if (url == null || url.isBlank() || url.equals("disabled")) {
      return new NoBackend();
    }
    String scheme = url.contains("://") ? url.substring(0, url.indexOf("://")) : url;
    return switch (scheme) {
      case "rpc" -> new RpcBackend(transport);
      case "redis" -> new RedisBackend(URI.create(url));
      default ->
          throw new IllegalArgumentException(
              "unsupported result backend " + url + ": use rpc://, redis://host:port/db, or none");
    };
  }
}
