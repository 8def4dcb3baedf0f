package dev.chervil.control;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.chervil.protocol.CeleryJsonCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ids this worker was told to revoke, as Celery's {@code worker_state.revoked} (a LimitedSet of
 * 50,000 ids kept 3 hours): the oldest go first when full, and each goes after its time. With a
 * state file ({@code --statedb}) they survive a restart; the file is JSON of our own, since
 * Celery's is a Python shelve (pickle) that nothing but Python can read.
 *
 * <p>Thread-safe; every method is synchronized (revokes are rare, lookups are one hash probe).
 */
public final class RevokedIds {
  private static final Logger log = LoggerFactory.getLogger(RevokedIds.class);
  public static final int MAX = 50_000;
  public static final Duration KEEP = Duration.ofHours(3);

  private final int max;
  private final long keepMillis;
  private final Path stateFile;
  private final LinkedHashMap<String, Long> revokedAt = new LinkedHashMap<>(); // guarded by this

  public RevokedIds(Path stateFile) {
    this(MAX, KEEP, stateFile);
  }

  RevokedIds(int max, Duration keep, Path stateFile) {
    this.max = max;
    this.keepMillis = keep.toMillis();
    this.stateFile = stateFile;
    load();
  }

  public synchronized void addAll(Collection<String> ids) {
    long now = System.currentTimeMillis();
    for (String id : ids) {
      revokedAt.remove(id);
      revokedAt.put(id, now);
    }
    purge(now);
    save();
  }

  public synchronized boolean contains(String id) {
    Long at = revokedAt.get(id);
    return at != null && System.currentTimeMillis() - at < keepMillis;
  }

  /** Ids still kept, oldest first. */
  public synchronized List<String> ids() {
    purge(System.currentTimeMillis());
    return new ArrayList<>(revokedAt.keySet());
  }

  private void purge(long now) {
    Iterator<Map.Entry<String, Long>> it = revokedAt.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Long> e = it.next();
      if (revokedAt.size() > max || now - e.getValue() >= keepMillis) {
        it.remove();
      } else {
        break; // insertion order is age order: the rest are younger
      }
    }
  }

  private void load() {
    if (stateFile == null || !Files.exists(stateFile)) {
      return;
    }
    try {
      Map<String, Map<String, Long>> state =
          CeleryJsonCodec.mapper().readValue(stateFile.toFile(), new TypeReference<>() {});
      Map<String, Long> saved = state.getOrDefault("revoked", Map.of());
      saved.entrySet().stream()
          .sorted(Map.Entry.comparingByValue())
          .forEach(e -> revokedAt.put(e.getKey(), e.getValue()));
      purge(System.currentTimeMillis());
      log.info("event=statedb-loaded file={} revoked={}", stateFile, revokedAt.size());
    } catch (IOException e) {
      log.error("event=statedb-unreadable file={} reason=\"{}\"", stateFile, e.getMessage());
    }
  }

  /** Written to a temporary file and moved into place, so a crash never leaves half a file. */
  private void save() {
    if (stateFile == null) {
      return;
    }
    try {
      Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
      CeleryJsonCodec.mapper().writeValue(tmp.toFile(), Map.of("revoked", revokedAt));
      Files.move(
          tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      log.error("event=statedb-write-failed file={} reason=\"{}\"", stateFile, e.getMessage());
    }
  }
}
