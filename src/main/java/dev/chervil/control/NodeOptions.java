package dev.chervil.control;

import java.nio.file.Path;

/**
 * A worker's node settings: its name, whether it sends task events and stores STARTED, and where it
 * keeps revoked ids.
 *
 * @param hostname the node name pattern ({@code -n}), expanded by {@link NodeName}
 * @param taskEvents send task-* events from the start ({@code -E}); {@code enable_events} turns
 *     them on later
 * @param trackStarted store STARTED when a task starts (Celery's {@code task_track_started})
 * @param stateDb file that keeps revoked ids across restarts ({@code --statedb}), or null
 */
public record NodeOptions(String hostname, boolean taskEvents, boolean trackStarted, Path stateDb) {
  public static NodeOptions defaults() {
    return new NodeOptions(NodeName.DEFAULT, false, false, null);
  }
}
