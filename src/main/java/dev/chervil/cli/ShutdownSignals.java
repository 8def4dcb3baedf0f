package dev.chervil.cli;

import dev.chervil.worker.Worker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Celery's shutdown signals for a worker process: the first SIGTERM or SIGINT is a warm shutdown
 * (stop consuming, let running tasks finish, up to the shutdown timeout); a second one is a cold
 * shutdown (running tasks end now and are settled: requeued with acks late, a stored
 * WorkerLostError otherwise). Celery also takes SIGQUIT as cold; the JVM keeps SIGQUIT for its
 * thread dump and for {@code jcmd}'s attach, so here it stays the JVM's.
 *
 * <p>Why signal handlers and not a shutdown hook: once the JVM runs its shutdown hooks it ignores
 * further SIGTERM and SIGINT, so a second signal could never turn a warm shutdown cold. With these
 * handlers the JVM does not begin its own shutdown; the worker closes, then the process exits.
 */
final class ShutdownSignals {
  private static final Logger log = LoggerFactory.getLogger(ShutdownSignals.class);

  private final Worker worker;
  private final Duration warmTimeout;
  private final AtomicInteger received = new AtomicInteger();

  ShutdownSignals(Worker worker, Duration warmTimeout) {
    this.worker = worker;
    this.warmTimeout = warmTimeout;
  }

  /** Installs the handlers; call before the worker starts consuming. */
  void install() {
    Signal.handle(new Signal("TERM"), this::onStop);
    Signal.handle(new Signal("INT"), this::onStop);
  }

  private void onStop(Signal signal) {
    if (received.incrementAndGet() == 1) {
      Thread.ofPlatform().name("chervil-warm-shutdown").start(() -> warm(signal.getName()));
    } else {
      cold(signal.getName());
    }
  }

  private void warm(String signal) {
    log.info("event=warm-shutdown signal={} timeout_s={}", signal, warmTimeout.toSeconds());
    worker.close(); // drains for up to the warm timeout, then ends what is left cold
  }

  private void cold(String signal) {
    log.warn("event=cold-shutdown-requested signal={}", signal);
    // The warm shutdown's thread is still in close(): it finishes closing once the pool is done.
    Thread.ofPlatform().name("chervil-cold-shutdown").start(worker::terminate);
  }
}
