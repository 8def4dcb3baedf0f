package dev.chervil.protocol;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.Map;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorOutputStream;

/**
 * kombu's body compression, named by the message's {@code compression} header. kombu registers
 * {@code application/x-gzip} (aliases {@code gzip}, {@code zlib}) for {@code zlib.compress} — a
 * zlib stream, not a gzip file, despite the name — {@code application/x-bz2} ({@code bzip2}, {@code
 * bzip}) for {@code bz2.compress} and {@code application/x-lzma} ({@code lzma}, {@code xz}) for
 * {@code lzma.compress}, whose default is the xz container. brotli and zstd need Python packages
 * Celery does not install and are refused.
 */
public final class Compression {
  public static final String ZLIB = "application/x-gzip";
  public static final String BZIP2 = "application/x-bz2";
  public static final String XZ = "application/x-lzma";

  private static final Map<String, String> ALIASES =
      Map.of(
          "gzip", ZLIB, "zlib", ZLIB, "bzip2", BZIP2, "bzip", BZIP2, "lzma", XZ, "xz", XZ, ZLIB,
          ZLIB, BZIP2, BZIP2, XZ, XZ);

  private Compression() {}

  /**
   * The content type kombu writes in the header for a method name or content type.
   *
   * @throws IllegalArgumentException for a method kombu (without extras) does not know
   */
  public static String contentType(String method) {
    String type = method == null ? null : ALIASES.get(method.toLowerCase(Locale.ROOT));
    if (type == null) {
      throw new IllegalArgumentException(
          "unsupported compression " + method + ": use gzip/zlib, bzip2 or lzma/xz");
    }
    return type;
  }

  static byte[] compress(String method, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length / 2 + 64);
    try (OutputStream c = compressor(contentType(method), out)) {
      c.write(body);
    } catch (IOException e) {
      throw new IllegalStateException("compression failed: " + e, e);
    }
    return out.toByteArray();
  }

  /**
   * The body decompressed, refused past {@code maxBytes} so a small message cannot expand into an
   * out-of-memory error.
   */
  static byte[] decompress(String method, byte[] body, int maxBytes)
      throws MalformedMessageException {
    String type;
    try {
      type = contentType(method);
    } catch (IllegalArgumentException e) {
      throw new MalformedMessageException(e.getMessage(), "ContentDisallowed", "kombu.exceptions");
    }
    try (InputStream in = decompressor(type, new ByteArrayInputStream(body))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, body.length * 4));
      byte[] buffer = new byte[8192];
      for (int n; (n = in.read(buffer)) > 0; ) {
        if (out.size() + n > maxBytes) {
          throw new MalformedMessageException(
              "body decompresses to more than " + maxBytes + " bytes");
        }
        out.write(buffer, 0, n);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new MalformedMessageException(
          "body is not valid " + type + ": " + e.getMessage(), "DecodeError", "kombu.exceptions");
    }
  }

  private static OutputStream compressor(String type, OutputStream out) throws IOException {
    return switch (type) {
      case ZLIB -> new DeflaterOutputStream(out);
      case BZIP2 -> new BZip2CompressorOutputStream(out);
      default -> new XZCompressorOutputStream(out);
    };
  }

  private static InputStream decompressor(String type, InputStream in) throws IOException {
    return switch (type) {
      case ZLIB -> new InflaterInputStream(in);
      case BZIP2 -> new BZip2CompressorInputStream(in);
      default -> new XZCompressorInputStream(in);
    };
  }
}
