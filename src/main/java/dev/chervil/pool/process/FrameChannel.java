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
 * Length-prefixed frames over a pair of pipes, the one channel between the supervisor and a child.
 * Each frame is {@code MAGIC, header length, payload length, header JSON object, payload}; the
 * magic makes stray bytes on the pipe (a library printing to the real stdout) a clear protocol
 * error instead of a garbage length. The payload is opaque bytes — a task's arguments as the
 * message body arrived, a task's result as the child encoded it — so they cross the pipe without
 * being decoded and re-encoded on the way.
 *
 * <p>Threads: one reader at a time; {@link #write} is synchronized so the slot thread (run frames)
 * and the limit timer (cancel frames) can both send. {@link #close()} closes both streams once.
 */
final class FrameChannel implements AutoCloseable {
  private static final int MAGIC = 0x43485632; // "CHV2": header + payload
  private static final int MAX_FRAME = 64 << 20;
  private static final byte[] NONE = new byte[0];

  /** One frame: its JSON header, and its payload (empty when it has none). */
  record Frame(Map<String, Object> header, byte[] payload) {
    String type() {
      return (String) header.get("type");
    }
  }

  private final DataInputStream in;
  private final DataOutputStream out;
  private final AtomicBoolean closed = new AtomicBoolean();

  FrameChannel(InputStream in, OutputStream out) {
    this.in = new DataInputStream(new BufferedInputStream(in));
    this.out = new DataOutputStream(new BufferedOutputStream(out));
  }

  /** The next frame, or null at end of stream (the other side closed or died). */
  @SuppressWarnings("unchecked")
  Frame read() throws IOException {
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
    int headerLength;
    int payloadLength;
    try {
      headerLength = in.readInt();
      payloadLength = in.readInt();
    } catch (EOFException e) {
      return null; // died mid-frame: same as end of stream
    }
    if (headerLength < 0 || payloadLength < 0 || (long) headerLength + payloadLength > MAX_FRAME) {
      throw new IOException("frame length out of range: " + headerLength + "+" + payloadLength);
    }
    byte[] header = in.readNBytes(headerLength);
    byte[] payload = payloadLength == 0 ? NONE : in.readNBytes(payloadLength);
    if (header.length < headerLength || payload.length < payloadLength) {
      return null; // died mid-frame: same as end of stream
    }
    return new Frame(CeleryJsonCodec.mapper().readValue(header, Map.class), payload);
  }

  void write(Map<String, Object> header) throws IOException {
    write(header, NONE);
  }

  synchronized void write(Map<String, Object> header, byte[] payload) throws IOException {
    byte[] json = CeleryJsonCodec.mapper().writeValueAsBytes(header);
    out.writeInt(MAGIC);
    out.writeInt(json.length);
    out.writeInt(payload.length);
    out.write(json);
    out.write(payload);
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
