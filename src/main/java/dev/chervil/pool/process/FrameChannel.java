package dev.chervil.pool.process;

import dev.chervil.protocol.CeleryJsonCodec;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Length-prefixed JSON frames over a pair of pipes, the one channel between the supervisor and a
 * child. Each frame is {@code MAGIC, length, JSON object}; the magic makes stray bytes on the pipe
 * (a library printing to the real stdout) a clear protocol error instead of a garbage length.
 *
 * <p>Threads: one reader at a time; {@link #write} is synchronized so the slot thread (run frames)
 * and the limit timer (cancel frames) can both send. {@link #close()} closes both streams once.
 */
final class FrameChannel implements AutoCloseable {
  private static final int MAGIC = 0x43485631; // "CHV1"
  private static final int MAX_FRAME = 64 << 20;

  private final DataInputStream in;
  private final DataOutputStream out;
  private final AtomicBoolean closed = new AtomicBoolean();

  FrameChannel(InputStream in, OutputStream out) {
    this.in = new DataInputStream(new BufferedInputStream(in));
    this.out = new DataOutputStream(new BufferedOutputStream(out));
  }

  /** The next frame, or null at end of stream (the other side closed or died). */
  @SuppressWarnings("unchecked")
  Map<String, Object> read() throws IOException {
    int magic;
    try {
      magic = in.readInt();
    } catch (EOFException e) {
      return null;
    }
    if (magic != MAGIC) {
      throw new IOException(
          String.format("not a frame: magic 0x%08x (stray output on the channel?)", magic));
    }
    int length = in.readInt();
    if (length < 0 || length > MAX_FRAME) {
      throw new IOException("frame length out of range: " + length);
    }
    byte[] json = in.readNBytes(length);
    if (json.length < length) {
      return null; // died mid-frame: same as end of stream
    }
    return CeleryJsonCodec.mapper().readValue(json, Map.class);
  }

  synchronized void write(Map<String, Object> frame) throws IOException {
    byte[] json = CeleryJsonCodec.mapper().writeValueAsBytes(frame);
    out.writeInt(MAGIC);
    out.writeInt(json.length);
    out.write(json);
    out.flush();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      out.close();
    } catch (IOException ignored) {
      // the child is gone; nothing to flush to
    }
    try {
      in.close();
    } catch (IOException ignored) {
      // same
    }
  }
}
