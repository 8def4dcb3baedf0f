package dev.chervil;

import dev.chervil.backend.ResultBackend;
import dev.chervil.backend.ResultBackends;
import dev.chervil.broker.Transport;
import dev.chervil.broker.Transports;
import dev.chervil.client.ChervilClient;
import dev.chervil.debug.DebugTasks;
import dev.chervil.duckdb.DuckDbTasks;
import dev.chervil.pool.ExecutionPool;
import dev.chervil.pool.PoolSpec;
import dev.chervil.pool.process.ProcessPool;
import dev.chervil.pool.thread.ThreadPool;
import dev.chervil.task.TaskRegistry;
import dev.chervil.task.TaskRunner;
import dev.chervil.worker.Worker;
import dev.chervil.worker.WorkerConfig;

/**
 * Wiring from URLs and specs to running parts; the one place that knows which implementation backs
 * which URL scheme or pool kind.
 *
 * <pre>{@code
 * Worker worker = Chervil.worker("amqp://guest:guest@127.0.0.1:5672//", "rpc://",
 *     PoolSpec.of(PoolKind.THREADS, 4).withModules(List.of("com.example.MyTasks")),
 *     WorkerConfig.defaults());
 * worker.start();
 * }</pre>
 */
public final class Chervil {
  private Chervil() {}

  /** A transport for {@code brokerUrl}; null or {@code memory://} is the embedded broker. */
  public static Transport transport(String brokerUrl) {
    return Transports.fromUrl(brokerUrl);
  }

  /**
   * A result backend for {@code url} (rpc://, redis://..., null for none) over {@code transport}.
   */
  public static ResultBackend backend(String url, Transport transport) {
    return ResultBackends.fromUrl(url, transport);
  }

  /**
   * The tasks a pool spec names: its modules, plus the built-ins ({@code chervil.debug.*} and
   * {@code chervil.duckdb.query}) when asked for.
   */
  public static TaskRegistry registry(PoolSpec spec) {
    TaskRegistry registry = new TaskRegistry();
    if (spec.debugTasks()) {
      registry.register(new DebugTasks());
      registry.register(new DuckDbTasks());
    }
    spec.modules().forEach(registry::registerModule);
    return registry;
  }

  /**
   * A pool running the tasks of {@code registry} (which must match the spec's modules for
   * processes).
   */
  public static ExecutionPool pool(PoolSpec spec, TaskRegistry registry) {
    return switch (spec.kind()) {
      case SOLO -> new ThreadPool("solo", 1, false, new TaskRunner(registry));
      case THREADS ->
          new ThreadPool("threads", spec.size(), spec.virtualThreads(), new TaskRunner(registry));
      case PROCESSES -> new ProcessPool(spec);
    };
  }

  /** A worker with its own transport, backend and pool, loading tasks from the spec's modules. */
  public static Worker worker(
      String brokerUrl, String backendUrl, PoolSpec spec, WorkerConfig config) {
    return worker(brokerUrl, backendUrl, spec, registry(spec), config);
  }

  /** A worker for tasks registered in code ({@code solo} and {@code threads} pools). */
  public static Worker worker(
      String brokerUrl,
      String backendUrl,
      PoolSpec spec,
      TaskRegistry registry,
      WorkerConfig config) {
    Transport transport = transport(brokerUrl);
    return new Worker(
        transport, pool(spec, registry), registry, backend(backendUrl, transport), config);
  }

  /** A client with its own transport and backend; call {@link ChervilClient#start()} before use. */
  public static ChervilClient client(String brokerUrl, String backendUrl) {
    Transport transport = transport(brokerUrl);
    return new ChervilClient(transport, backend(backendUrl, transport));
  }
}
